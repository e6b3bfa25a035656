defmodule AcmeWeb.Router do
  use Phoenix.Router

  pipeline :api do
    plug :accepts, ["json"]
  end

  # Fly's health check (fly.toml [[http_service.checks]]) asks for this path.
  scope "/", AcmeWeb do
    pipe_through :api

    get "/health", HealthController, :show
  end
end
