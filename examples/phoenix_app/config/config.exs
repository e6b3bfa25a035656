import Config

config :acme,
  ecto_repos: [Acme.Repo],
  generators: [timestamp_type: :utc_datetime]

config :acme, AcmeWeb.Endpoint,
  url: [host: "localhost"],
  adapter: Bandit.PhoenixAdapter,
  render_errors: [formats: [html: AcmeWeb.ErrorHTML, json: AcmeWeb.ErrorJSON], layout: false],
  pubsub_server: Acme.PubSub

config :acme, Oban,
  engine: Oban.Engines.Basic,
  queues: [default: 10, mailers: 5],
  repo: Acme.Repo

config :logger, :console, format: "$time $metadata[$level] $message\n"
config :phoenix, :json_library, Jason

import_config "#{config_env()}.exs"
