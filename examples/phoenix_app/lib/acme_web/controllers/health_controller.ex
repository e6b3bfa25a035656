defmodule AcmeWeb.HealthController do
  use Phoenix.Controller, formats: [:json]

  # 200 while the app can reach its database; the load balancer routes only to healthy Machines.
  def show(conn, _params) do
    case Ecto.Adapters.SQL.query(Acme.Repo, "SELECT 1", []) do
      {:ok, _} -> json(conn, %{status: "ok"})
      {:error, _} -> conn |> put_status(503) |> json(%{status: "database unavailable"})
    end
  end
end
