"""herokufly: move a Heroku app to Fly.io in verified, resumable stages."""

__version__ = "0.1.0"
