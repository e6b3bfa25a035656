defmodule Acme.Application do
  @moduledoc false
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      AcmeWeb.Telemetry,
      Acme.Repo,
      {DNSCluster, query: Application.get_env(:acme, :dns_cluster_query) || :ignore},
      {Phoenix.PubSub, name: Acme.PubSub},
      {Oban, Application.fetch_env!(:acme, Oban)},
      AcmeWeb.Endpoint
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Acme.Supervisor)
  end

  @impl true
  def config_change(changed, _new, removed) do
    AcmeWeb.Endpoint.config_change(changed, removed)
    :ok
  end
end
