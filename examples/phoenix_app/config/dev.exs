import Config

config :acme, Acme.Repo,
  username: "postgres",
  password: "postgres",
  hostname: "localhost",
  database: "acme_dev",
  pool_size: 10

config :acme, AcmeWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}, port: 4000],
  debug_errors: true,
  secret_key_base: "dev-only-secret-key-base-not-used-in-production-0000000000000000000"
