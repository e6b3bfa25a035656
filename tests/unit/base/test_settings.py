from herokufly.base.settings import Settings


def test_secrets_hidden_from_repr(canary):
    s = Settings.from_env({"HEROKU_API_KEY": canary, "FLY_API_TOKEN": canary + "f", "GITHUB_TOKEN": canary + "g"})
    assert s.heroku_api_key == canary
    assert canary not in repr(s)


def test_defaults_and_trailing_slash():
    s = Settings.from_env({"HEROKU_API_URL": "http://127.0.0.1:9/"})
    assert s.heroku_api_url == "http://127.0.0.1:9"
    assert s.github_api_url == "https://api.github.com"
    assert s.heroku_api_key is None
