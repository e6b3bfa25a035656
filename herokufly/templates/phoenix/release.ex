defmodule %%{release_module} do
  @moduledoc """
  Release tasks, run where Mix is not available (written by herokufly).

  `bin/migrate` calls `migrate/0`; Fly runs it as the release_command before each deploy.
  """
  @app :%%{app}

  def migrate do
    load_app()

    for repo <- repos() do
      {:ok, _, _} = Ecto.Migrator.with_repo(repo, &Ecto.Migrator.run(&1, :up, all: true))
    end
  end

  def rollback(repo, version) do
    load_app()
    {:ok, _, _} = Ecto.Migrator.with_repo(repo, &Ecto.Migrator.run(&1, :down, to: version))
  end

  defp repos, do: Application.fetch_env!(@app, :ecto_repos)

  defp load_app do
    # Heroku and Fly databases may require SSL, which needs :ssl started.
    Application.ensure_all_started(:ssl)
    Application.load(@app)
  end
end
