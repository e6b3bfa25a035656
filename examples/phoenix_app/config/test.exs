import Config

config :acme, Acme.Repo,
  database: "acme_test#{System.get_env("MIX_TEST_PARTITION")}",
  pool: Ecto.Adapters.SQL.Sandbox

config :acme, Oban, testing: :manual
config :acme, AcmeWeb.Endpoint, server: false
