"""Phoenix/Elixir builds that match the app's era (issue 8 item 3).

Each fixture below is written for this test (no code copied from real apps) and reproduces a
trap seen in real Heroku Phoenix apps (docs/real-apps.md): Phoenix 1.2 with brunch and
`System.get_env` in prod.exs, an umbrella with a custom MIX_ENV, a 1.5 app with `releases:`,
Distillery, a 1.7 app with runtime.exs and an Oban worker, custom Procfile tasks.
Every process is checked with herokufly.base.machine: what the Machine will exec is what Heroku ran.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from herokufly.base import machine
from herokufly.frameworks import AppContext, elixir, phoenix
from herokufly.frameworks import _elixir_images as images
from tests import dockerfile_lint

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "phoenix_app"

PHOENIX_12 = {
    "mix.exs": '''defmodule Shop.Mixfile do
  use Mix.Project
  def project do
    [app: :shop, version: "0.0.1", elixir: "~> 1.2", deps: deps()]
  end
  defp deps do
    [{:phoenix, "~> 1.2.1"}, {:phoenix_ecto, "~> 3.0"}, {:postgrex, ">= 0.0.0"}]
  end
end
''',
    "mix.lock": '%{"phoenix": {:hex, :phoenix, "1.2.5", "abc", [:mix], []}}\n',
    "config/config.exs": 'use Mix.Config\nconfig :shop, ecto_repos: [Shop.Repo]\nimport_config "#{Mix.env}.exs"\n',
    "config/prod.exs": '''use Mix.Config
config :shop, Shop.Endpoint,
  http: [port: {:system, "PORT"}],
  url: [scheme: "https", host: "shop-demo.herokuapp.com", port: 443],
  force_ssl: [rewrite_on: [:x_forwarded_proto]],
  secret_key_base: System.get_env("SECRET_KEY_BASE")
config :shop, Shop.Repo,
  adapter: Ecto.Adapters.Postgres,
  url: System.get_env("DATABASE_URL"),
  ssl: true
''',
    "config/dev.exs": "use Mix.Config\n",
    "web/router.ex": '''defmodule Shop.Router do
  use Shop.Web, :router
  pipeline :browser do
    plug :accepts, ["html"]
  end
  scope "/", Shop do
    pipe_through :browser # Use the default browser stack
    get "/", PageController, :index
    get "/products/:id", ProductController, :show
  end
end
''',
    "package.json": '{"dependencies": {"phoenix": "file:deps/phoenix"}, "devDependencies": {"brunch": "2.10.9"}, "scripts": {"deploy": "brunch build --production"}}\n',
    "elixir_buildpack.config": "erlang_version=19.2\nelixir_version=v1.4.2\nalways_rebuild=false\n",
    "phoenix_static_buildpack.config": "node_version=6.9.2\n",
    "Procfile": "web: MIX_ENV=prod mix phoenix.server\n",
}

UMBRELLA = {
    "mix.exs": '''defmodule Market.Umbrella.Mixfile do
  use Mix.Project
  def project do
    [apps_path: "apps", start_permanent: Mix.env == :prod, deps: []]
  end
end
''',
    "apps/market/mix.exs": '''defmodule Market.Mixfile do
  use Mix.Project
  def project do
    [app: :market, version: "0.1.0", elixir: "~> 1.6", deps: [{:ecto_sql, "~> 3.0"}, {:postgrex, ">= 0.0.0"}]]
  end
end
''',
    "apps/market_web/mix.exs": '''defmodule MarketWeb.Mixfile do
  use Mix.Project
  def project do
    [app: :market_web, version: "0.1.0", elixir: "~> 1.6",
     deps: [{:phoenix, "~> 1.4.0"}, {:market, in_umbrella: true}]]
  end
end
''',
    "apps/market_web/lib/market_web/router.ex": '''defmodule MarketWeb.Router do
  use MarketWeb, :router
  pipeline :browser do
    plug :accepts, ["html"]
  end
  pipeline :authenticated do
    plug MarketWeb.RequireUser
  end
  scope "/", MarketWeb do
    pipe_through [:browser, :authenticated]
    get "/", DashboardController, :index
  end
  scope "/api", MarketWeb do
    get "/healthz", HealthController, :show
  end
end
''',
    "apps/market_web/assets/package.json": '{"scripts": {"deploy": "webpack --mode production"}, "devDependencies": {"webpack": "4.41.2"}}\n',
    "apps/market_web/assets/yarn.lock": "# yarn lockfile v1\n",
    "config/config.exs": 'use Mix.Config\nconfig :market, ecto_repos: [Market.Repo]\nimport_config "#{Mix.env()}.exs"\n',
    "config/heroku.exs": '''use Mix.Config
config :market, Market.Repo, url: System.get_env("DATABASE_URL"), pool_size: 10
config :market_web, MarketWeb.Endpoint, url: [host: System.get_env("APP_HOST")]
''',
    "config/prod.exs": "use Mix.Config\n",
    "elixir_buildpack.config": "erlang_version=21.3.8\nelixir_version=1.8.2\n",
    "phoenix_static_buildpack.config": "phoenix_relative_path=apps/market_web\nnode_version=10.x\n",
    "app.json": '{"env": {"MIX_ENV": {"value": "heroku"}}}\n',
    "Procfile": "web: cd apps/market_web && mix phx.server\nworker: mix run --no-halt\n",
}

RELEASES_15 = {
    "mix.exs": '''defmodule Notes.MixProject do
  use Mix.Project
  def project do
    [
      app: :notes,
      version: "0.1.0",
      elixir: "~> 1.10",
      releases: [
        notes_web: [include_executables_for: [:unix], applications: [runtime_tools: :permanent]]
      ],
      deps: deps()
    ]
  end
  defp deps do
    [{:phoenix, "~> 1.5.7"}, {:phoenix_ecto, "~> 4.1"}, {:ecto_sql, "~> 3.4"}]
  end
end
''',
    "config/config.exs": "import Config\nconfig :notes, ecto_repos: [Notes.Repo]\nimport_config \"#{Mix.env()}.exs\"\n",
    "config/prod.exs": "import Config\nconfig :notes, NotesWeb.Endpoint, server: true\n",
    "config/releases.exs": '''import Config
config :notes, Notes.Repo, url: System.fetch_env!("DATABASE_URL"), socket_options: [:inet6]
config :notes, NotesWeb.Endpoint, secret_key_base: System.fetch_env!("SECRET_KEY_BASE")
''',
    "lib/notes_web/router.ex": '''defmodule NotesWeb.Router do
  use NotesWeb, :router
  scope "/", NotesWeb do
    live "/", PageLive, :index
  end
end
''',
    "assets/package.json": '{"scripts": {"deploy": "NODE_ENV=production webpack --mode production"}, "dependencies": {"phoenix": "file:../deps/phoenix"}, "devDependencies": {"webpack": "4.41.5"}}\n',
    "assets/package-lock.json": "{}\n",
    ".tool-versions": "elixir 1.11.3-otp-23\nerlang 23.2.7\nnodejs 14.15.4\n",
    "Procfile": "web: mix phx.server\nrelease: mix ecto.migrate\n",
}

DISTILLERY = {
    "mix.exs": '''defmodule Chat.Mixfile do
  use Mix.Project
  def project, do: [app: :chat, version: "0.1.0", elixir: "~> 1.6", deps: deps()]
  defp deps, do: [{:phoenix, "~> 1.3.0"}, {:distillery, "~> 1.5", runtime: false}]
end
''',
    "rel/config.exs": "use Mix.Releases.Config\n",
    "config/config.exs": "use Mix.Config\n",
    "config/prod.exs": 'use Mix.Config\nconfig :chat, ChatWeb.Endpoint, secret_key_base: System.get_env("SECRET_KEY_BASE")\n',
    "elixir_buildpack.config": "erlang_version=20.3\nelixir_version=1.6.6\n",
    "Procfile": "web: mix phx.server\n",
}


def write_app(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def procfile_of(files: dict[str, str]) -> dict[str, str]:
    lines = files.get("Procfile", "").splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def advise(root: Path, files: dict | None = None, *, names=(), module=phoenix, fly_app="shop-fly"):
    detection = module.detect(root)
    assert detection is not None
    ctx = AppContext(fly_app=fly_app, procfile=procfile_of(files) if files else
                     procfile_of({"Procfile": (root / "Procfile").read_text()}),
                     config_var_names=list(names), has_database=True)
    return module.advise(detection, ctx), ctx


def machine_argv(advice, line: str) -> list[str]:
    """What the Machine execs for a process planned as `line` (flyctl + image rules)."""
    fly_cmd = machine.fly_command_running(advice.image, line)
    assert fly_cmd is not None
    return machine.machine_exec(advice.image, fly_cmd)


def lint(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "Dockerfile.lint"
    path.write_text(text)
    return dockerfile_lint.findings(path)


# -- era: Phoenix 1.2, Elixir 1.4, brunch, env read in prod.exs -------------------------------


def test_phoenix_12_runs_with_mix_so_prod_exs_is_read_at_boot(tmp_path):
    root = write_app(tmp_path / "shop", PHOENIX_12)
    advice, _ = advise(root, PHOENIX_12)
    build = advice.build
    assert build["elixir_mode"] == "mix"
    assert "SECRET_KEY_BASE" in build["mode_reason"] and "build time" in build["mode_reason"]
    # Elixir 1.4 with OTP 19 on a Debian tag that exists for that pair (no bookworm for OTP 19).
    assert build["image"]["elixir"].startswith("1.4.") and build["image"]["otp"].startswith("19")
    assert "bookworm" not in build["image"]["tag"]
    assert any("1.4.2" in n and "1.4.5" in n for n in advice.notes)
    # Heroku's line runs unchanged: bash -c, MIX_ENV prefix and all.
    line = PHOENIX_12["Procfile"].split(": ", 1)[1].strip()
    assert advice.processes == {"web": line} and not advice.replaced
    argv = machine_argv(advice, line)
    assert machine.runs_heroku_line(argv, line, advice.env), argv
    assert advice.release.line == "mix ecto.migrate" and advice.release.proposed


def test_phoenix_12_dockerfile_builds_assets_like_the_static_buildpack(tmp_path):
    root = write_app(tmp_path / "shop", PHOENIX_12)
    advice, _ = advise(root, PHOENIX_12)
    dockerfile = phoenix.render_dockerfile(advice.build)
    assert "FROM hexpm/elixir:1.4.5-erlang-19.3-debian-stretch-20200224" in dockerfile
    assert "ARG NODE_DIST=v6.9.2" in dockerfile  # node_version from the buildpack config
    assert "npm run deploy" in dockerfile and "mix phoenix.digest" in dockerfile  # 1.2 task names
    assert "archive.debian.org" in dockerfile  # stretch left the mirrors
    assert "ARG MIX_ENV=prod" in dockerfile and "mix compile --force" in dockerfile
    assert "COPY config/runtime.exs" not in dockerfile
    assert dockerfile.index("mix compile --force") < dockerfile.index("npm run deploy")
    assert lint(tmp_path, dockerfile) == []


def test_phoenix_12_health_check_uses_root_route_with_forwarded_proto(tmp_path):
    root = write_app(tmp_path / "shop", PHOENIX_12)
    advice, _ = advise(root, PHOENIX_12)
    assert advice.health_check.path == "/"
    assert advice.health_check.headers == {"X-Forwarded-Proto": "https"}
    assert "forces SSL" in advice.health_check.why and "web/router.ex" in advice.health_check.why


def test_heroku_host_literal_and_missing_ipv6_become_manual_steps(tmp_path):
    root = write_app(tmp_path / "shop", PHOENIX_12)
    advice, _ = advise(root, PHOENIX_12)
    items = {s["item"]: s for s in advice.manual_steps}
    assert "shop-fly.fly.dev" in items["Endpoint url host 'shop-demo.herokuapp.com'"]["how"]
    assert items["IPv6 for Ecto"]["how"].startswith(
        "In config/prod.exs, add `socket_options: [:inet6]` to `config :shop, Shop.Repo, ...`")
    # The app reads neither PHX_HOST nor ECTO_IPV6, so neither is set.
    assert advice.env == {"PORT": "4000"}


# -- umbrella, custom MIX_ENV, webpack + yarn, `cd` in the Procfile ----------------------------


def test_umbrella_is_phoenix_with_its_web_app_and_custom_mix_env(tmp_path):
    root = write_app(tmp_path / "market", UMBRELLA)
    advice, _ = advise(root, UMBRELLA, names=["MIX_ENV", "DATABASE_URL", "APP_HOST"])
    build = advice.build
    assert build["umbrella"] and build["elixir_mode"] == "mix"
    assert "umbrella" in build["mode_reason"] or "release config" in build["mode_reason"]
    assert build["mix_env"] == "heroku" and advice.build_args == {"MIX_ENV": "heroku"}
    assert advice.config["MIX_ENV"].kind == "build"
    assert build["image"]["elixir"] == "1.8.2" and build["image"]["otp"].startswith("2")
    assert any("APP_HOST" in n and "shop-fly.fly.dev" in n for n in advice.notes)
    assert "PHX_HOST" not in advice.env


def test_umbrella_dockerfile_and_processes(tmp_path):
    root = write_app(tmp_path / "market", UMBRELLA)
    advice, _ = advise(root, UMBRELLA, names=["MIX_ENV"])
    dockerfile = phoenix.render_dockerfile(advice.build)
    assert "ARG MIX_ENV=heroku" in dockerfile
    assert "WORKDIR /app/apps/market_web/assets" in dockerfile
    assert "yarn install" in dockerfile and "npm install -g yarn@0.27.5" in dockerfile
    assert "ARG NODE_DIST=latest-v10.x" in dockerfile
    assert "WORKDIR /app/apps/market_web\nRUN mix phx.digest" in dockerfile
    assert lint(tmp_path, dockerfile) == []
    for kind, line in procfile_of(UMBRELLA).items():
        argv = machine_argv(advice, line)
        assert machine.runs_heroku_line(argv, line, advice.env), (kind, argv)
    assert machine_argv(advice, advice.processes["web"])[:2] == ["/bin/bash", "-c"]


def test_health_check_skips_routes_behind_login(tmp_path):
    root = write_app(tmp_path / "market", UMBRELLA)
    advice, _ = advise(root, UMBRELLA)
    assert advice.health_check.path == "/api/healthz"


# -- Phoenix 1.5 with `releases:` and config/releases.exs --------------------------------------


def test_release_config_builds_a_release_named_from_mix_exs(tmp_path):
    root = write_app(tmp_path / "notes", RELEASES_15)
    advice, _ = advise(root, RELEASES_15)
    build = advice.build
    assert build["elixir_mode"] == "release" and build["release_name"] == "notes_web"
    assert "config/releases.exs" in build["mode_reason"]
    assert build["image"]["elixir"].startswith("1.11.") and build["image"]["otp"].startswith("23")
    assert advice.processes == {"web": "/app/bin/server"}
    assert advice.release.line == "/app/bin/migrate" and not advice.release.proposed
    assert set(advice.replaced) == {"web", "release"}
    # What the Machine execs is the release's server script.
    assert machine_argv(advice, advice.processes["web"]) == ["/app/bin/server"]


def test_release_dockerfile_and_files(tmp_path):
    root = write_app(tmp_path / "notes", RELEASES_15)
    advice, _ = advise(root, RELEASES_15)
    dockerfile = phoenix.render_dockerfile(advice.build)
    assert "RUN mix release notes_web" in dockerfile
    assert "/app/_build/${MIX_ENV}/rel/notes_web" in dockerfile
    assert "ARG NODE_DIST=v14.15.4" in dockerfile and "npm run deploy" in dockerfile
    assert dockerfile.index("RUN mix compile") < dockerfile.index("npm run deploy") \
        < dockerfile.index("RUN mix release")
    assert lint(tmp_path, dockerfile) == []
    files = phoenix.scaffold_files({"build": advice.build}, root)
    assert set(files) == {"Dockerfile", ".dockerignore", "rel/overlays/bin/server",
                          "rel/overlays/bin/migrate", "rel/env.sh.eex"}
    server, mode = files["rel/overlays/bin/server"]
    assert mode == 0o755 and "exec ./notes_web start" in server and "serve_endpoints true" in server
    migrate, _ = files["rel/overlays/bin/migrate"]
    assert "exec ./notes_web eval 'Application.ensure_all_started(:ssl); Application.load(:notes)" in migrate
    assert "ECTO_IPV6" not in files["rel/env.sh.eex"][0]


def test_release_keeps_the_apps_own_env_sh(tmp_path):
    root = write_app(tmp_path / "notes", {**RELEASES_15, "rel/env.sh.eex": "export MINE=1\n"})
    advice, _ = advise(root, RELEASES_15)
    assert "rel/env.sh.eex" not in phoenix.scaffold_files({"build": advice.build}, root)


def test_liveview_root_route_is_the_health_check(tmp_path):
    root = write_app(tmp_path / "notes", RELEASES_15)
    advice, _ = advise(root, RELEASES_15)
    assert advice.health_check.path == "/"


def test_a_process_a_release_cannot_run_keeps_mix(tmp_path):
    files = {**RELEASES_15, "Procfile": "web: mix phx.server\nclock: mix quantum.run\n"}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.build["elixir_mode"] == "mix"
    assert "mix quantum.run" in advice.build["mode_reason"]
    for line in procfile_of(files).values():
        assert machine.runs_heroku_line(machine_argv(advice, line), line, advice.env)


# -- Distillery, mix.exs-only versions ----------------------------------------------------------


def test_distillery_app_runs_with_mix(tmp_path):
    root = write_app(tmp_path / "chat", DISTILLERY)
    advice, _ = advise(root, DISTILLERY)
    assert advice.build["elixir_mode"] == "mix"
    assert advice.build["image"]["elixir"] == "1.6.6" and advice.build["image"]["otp"] == "20.3"
    assert "rel/overlays" not in "".join(phoenix.scaffold_files({"build": advice.build}, root))


def test_versions_fall_back_to_mix_exs_requirement(tmp_path):
    files = {k: v for k, v in DISTILLERY.items() if k != "elixir_buildpack.config"}
    root = write_app(tmp_path / "chat", files)
    advice, _ = advise(root, files)
    assert advice.build["image"]["elixir"].startswith("1.6.")
    assert "mix.exs" in advice.build["versions_source"]


# -- Phoenix 1.7: runtime.exs, Oban worker, the shipped example ---------------------------------


def test_example_app_builds_a_release_and_every_process_maps(tmp_path):
    root = tmp_path / "app"
    shutil.copytree(EXAMPLE, root)
    advice, _ = advise(root)
    assert advice.build["elixir_mode"] == "release" and advice.build["release_name"] == "acme"
    assert advice.processes == {"web": "/app/bin/server", "worker": "/app/bin/acme start"}
    assert advice.env == {"PORT": "4000", "PHX_HOST": "shop-fly.fly.dev", "ECTO_IPV6": "true",
                          "DNS_CLUSTER_QUERY": "shop-fly.internal"}
    for kind, line in advice.processes.items():
        assert machine_argv(advice, line) == line.split()
    dockerfile = phoenix.render_dockerfile(advice.build)
    assert "hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-20241202-slim" in dockerfile
    assert "Node" not in dockerfile  # no assets to build, so no Node
    assert lint(tmp_path, dockerfile) == []


def test_esbuild_era_uses_assets_deploy_without_node(tmp_path):
    root = tmp_path / "app"
    shutil.copytree(EXAMPLE, root)
    mix = (root / "mix.exs").read_text().replace(
        'setup: ["deps.get", "ecto.setup"],',
        'setup: ["deps.get", "ecto.setup"],\n      "assets.deploy": ["esbuild default --minify", "phx.digest"],')
    (root / "mix.exs").write_text(mix)
    advice, _ = advise(root)
    dockerfile = phoenix.render_dockerfile(advice.build)
    assert "RUN mix assets.deploy" in dockerfile and "NODE_DIST" not in dockerfile
    assert dockerfile.index("RUN mix compile") < dockerfile.index("RUN mix assets.deploy")


def test_plain_elixir_app_defaults_to_mix_run_no_halt(tmp_path):
    files = {"mix.exs": 'defmodule Bot.MixProject do\n  use Mix.Project\n  def project, do: [app: :bot, elixir: "~> 1.12", deps: []]\nend\n'}
    root = write_app(tmp_path / "bot", files)
    assert phoenix.detect(root) is None
    detection = elixir.detect(root)
    advice = elixir.advise(detection, AppContext(fly_app="bot", procfile={}, config_var_names=[],
                                                 has_database=False))
    assert advice.processes == {"web": "mix run --no-halt"} and advice.release is None
    assert machine.runs_heroku_line(machine_argv(advice, "mix run --no-halt"), "mix run --no-halt")


# -- the image table ----------------------------------------------------------------------------


def test_every_table_entry_is_a_well_formed_tag_with_a_source():
    table = images.table()
    assert table["taken"] and table["sources"]
    for image in images.images():
        assert image.evidence in ("seen", "derived")
        assert image.os in ("debian", "alpine", "ubuntu")
        if image.os == "debian":
            assert image.release in images.DEBIAN_RELEASES
            # hexpm/bob never builds OTP < 24.2 on bookworm or later (OpenSSL 3).
            if image.release in ("bookworm", "trixie"):
                otp = tuple(int(p) for p in image.otp.split("."))
                assert otp >= (24, 2), image.tag


@pytest.mark.parametrize("elixir_version, otp, expect_elixir, expect_otp_major", [
    ("1.4.2", "19.2", "1.4.5", "19"),
    ("1.6", None, "1.6.6", "21"),
    ("1.10.4", "23.0", "1.10.4", "23"),
    ("1.14.2", "25.1.2", "1.14.2", "25"),
    ("1.17.3", "27.1.2", "1.17.3", "27"),
    ("1.3.4", "19.3", "1.4.5", "19"),
    (None, None, "1.19.5", "28"),
    ("1.18.4", "28.1", "1.18.4", "28"),
    ("1.12.3", "23.3.2", "1.12.3", "23"),
])
def test_choose_picks_an_existing_tag_near_the_asked_versions(elixir_version, otp, expect_elixir,
                                                              expect_otp_major):
    image, _ = images.choose(elixir_version, otp)
    assert image.os == "debian"
    assert image.elixir == expect_elixir and image.otp.split(".")[0] == expect_otp_major
    assert image.tag in {i.tag for i in images.images()}


# -- traps from real Heroku Phoenix apps (docs/real-apps.md) -----------------------------------


def test_elixir_flags_in_the_procfile_keep_mix_even_with_runtime_exs(tmp_path):
    line = ("MIX_ENV=prod elixir --cookie $OTP_COOKIE --name web@127.0.0.1 "
            "--erl '-kernel inet_dist_listen_min 9000' -S mix phx.server")
    files = {**RELEASES_15, "config/runtime.exs": "import Config\n", "Procfile": f"web: {line}\n"}
    root = write_app(tmp_path / "til", files)
    advice, _ = advise(root, files)
    assert advice.build["elixir_mode"] == "mix" and "needs Mix" in advice.build["mode_reason"]
    argv = machine_argv(advice, line)
    assert argv == ["/bin/bash", "-c", line]  # $OTP_COOKIE expands, quotes keep their meaning
    assert machine.runs_heroku_line(argv, line, advice.env)


def test_custom_compile_script_and_exported_config_vars(tmp_path):
    files = {**PHOENIX_12,
             "phoenix_static_buildpack.config": 'compile="script/build-assets"\nnode_version=10.10.0\n',
             "script/build-assets": "npm run deploy\ncd $phoenix_dir\nmix phx.digest\n",
             "elixir_buildpack.config": "erlang_version=20.3\nelixir_version=1.6.6\n"
                                        "config_vars_to_export=(DATABASE_URL MAILER_KEY)\n"}
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, files)
    dockerfile = phoenix.render_dockerfile(advice.build)
    # Sourced with the buildpack's variables, so `cd $phoenix_dir` in the script works.
    assert "RUN build_dir=/app phoenix_dir=/app assets_dir=/app phoenix_ex=phoenix " in dockerfile
    assert "bash -eo pipefail -c '. /app/script/build-assets'" in dockerfile
    assert "npm run deploy" not in dockerfile  # the app's script replaces the default compile
    assert any("DATABASE_URL, MAILER_KEY" in n and "compile time" in n for n in advice.notes)
    assert lint(tmp_path, dockerfile) == []


def test_inet6_in_a_comment_or_the_endpoint_is_not_ectos(tmp_path):
    prod = PHOENIX_12["config/prod.exs"] + (
        "#  https: [:inet6, port: 443]\nconfig :shop, Shop.Endpoint, http: [:inet6, port: 4000]\n")
    files = {**PHOENIX_12, "config/prod.exs": prod}
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, files)
    assert any(s["item"] == "IPv6 for Ecto" for s in advice.manual_steps)
    files["config/prod.exs"] = prod + "config :shop, Shop.Repo, socket_options: [:inet6]\n"
    write_app(root, files)
    advice, _ = advise(root, files)
    assert not any(s["item"] == "IPv6 for Ecto" for s in advice.manual_steps)
    assert "ECTO_IPV6" not in advice.env


def test_router_with_parens_dev_routes_and_session_only_auth(tmp_path):
    router = '''defmodule Blog.Router do
  use Blog.Web, :router
  scope "/", Blog do
    pipe_through([:browser, :browser_auth]) # loads the user if any
    get("/", PostController, :index)
  end
  if Mix.env() in [:dev, :test] do
    scope "/" do
      get "/dashboard", DashboardController, :index
    end
  end
end
'''
    files = {**PHOENIX_12, "web/router.ex": router}
    root = write_app(tmp_path / "blog", files)
    advice, _ = advise(root, files)
    assert advice.health_check.path == "/"
    detection = phoenix.detect(root)
    assert "/dashboard" not in {r["path"] for r in detection.facts["routes"]}


def test_no_procfile_on_phoenix_before_13_plans_phoenix_server(tmp_path):
    files = {k: v for k, v in PHOENIX_12.items() if k != "Procfile"}
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, files)
    assert advice.processes == {"web": "mix phoenix.server"}
    assert any("No web process" in n for n in advice.notes)


def test_custom_env_config_with_unknown_heroku_mix_env_is_noted(tmp_path):
    files = {**PHOENIX_12, "config/staging.exs": "use Mix.Config\n",
             "config/prod.secret.example.exs": "use Mix.Config\n"}
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, {**files, "Procfile": "web: mix phx.server\n"}, names=["MIX_ENV"])
    note = next(n for n in advice.notes if n.startswith("MIX_ENV is set on Heroku"))
    assert "staging.exs" in note and "secret" not in note
    assert advice.build["mix_env"] == "prod" and advice.config["MIX_ENV"].kind == "build"


def test_the_apps_own_ipv6_variable_is_set_not_ecto_ipv6(tmp_path):
    runtime = ('import Config\nopts = if System.get_env("USE_IP_V6") == "true", do: [:inet6], else: [:inet]\n'
               'config :notes, Notes.Repo, socket_options: opts\n')
    files = {**RELEASES_15, "config/releases.exs": runtime}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.env.get("USE_IP_V6") == "true" and "ECTO_IPV6" not in advice.env
    assert any("USE_IP_V6" in n for n in advice.notes)
    assert not any(s["item"] == "IPv6 for Ecto" for s in advice.manual_steps)


def test_config_that_stops_the_build_without_config_vars_is_a_manual_step(tmp_path):
    prod = PHOENIX_12["config/prod.exs"] + (
        'config :shop, :pool, String.to_integer(System.get_env("POOL_SIZE"))\n'
        'config :shop, :key, System.fetch_env!("API_KEY")\n'
        'config :shop, :safe, String.to_integer(System.get_env("SAFE") || "1")\n')
    files = {**PHOENIX_12, "config/prod.exs": prod,
             "config/runtime.exs": 'import Config\nconfig :shop, :x, System.fetch_env!("AT_BOOT")\n'}
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, files)
    step = next(s for s in advice.manual_steps if s["item"].startswith("Config read while building"))
    assert step["item"].endswith("API_KEY, POOL_SIZE")  # not SAFE, not runtime.exs's AT_BOOT


def test_a_release_heroku_built_with_config_vars_is_flagged(tmp_path):
    files = {**PHOENIX_12, "elixir_buildpack.config": "elixir_version=1.10.4\nerlang_version=23.0\nrelease=true\n",
             "Procfile": "web: _build/prod/rel/shop/bin/shop start\n"}
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, files)
    assert advice.build["elixir_mode"] == "mix"
    dockerfile = phoenix.render_dockerfile(advice.build)
    assert "RUN mix release --overwrite" in dockerfile  # the Procfile's binary exists in /app
    line = "_build/prod/rel/shop/bin/shop start"
    assert machine_argv(advice, line) == ["_build/prod/rel/shop/bin/shop", "start"]
    assert any(s["item"] == "A release built with Heroku's config vars" for s in advice.manual_steps)


def test_esbuild_app_with_npm_packages_gets_node_and_yarn(tmp_path):
    root = tmp_path / "app"
    shutil.copytree(EXAMPLE, root)
    mix = (root / "mix.exs").read_text().replace(
        'setup: ["deps.get", "ecto.setup"],',
        'setup: ["deps.get", "ecto.setup"],\n      "assets.deploy": ["tailwind default --minify", "phx.digest"],')
    (root / "mix.exs").write_text(mix)
    write_app(root, {"assets/package.json": '{"dependencies": {"alpinejs": "3.13.0"}}\n',
                     "assets/yarn.lock": "# yarn lockfile v1\n"})
    advice, _ = advise(root)
    dockerfile = phoenix.render_dockerfile(advice.build)
    assert "ARG NODE_DIST=v20.18.0" in dockerfile  # .tool-versions nodejs
    assert "RUN npm install -g yarn@1" in dockerfile and "RUN yarn install --pure-lockfile" in dockerfile
    assert dockerfile.index("yarn install") < dockerfile.index("RUN mix assets.deploy")
    assert lint(tmp_path, dockerfile) == []


def test_plain_mix_app_without_config_dir_copies_no_config(tmp_path):
    files = {"mix.exs": 'defmodule Bot.MixProject do\n  use Mix.Project\n  def project, do: [app: :bot, elixir: "~> 1.14", deps: []]\nend\n',
             "Procfile": "worker: mix run --no-halt\n"}
    root = write_app(tmp_path / "bot", files)
    advice = elixir.advise(elixir.detect(root), AppContext(
        fly_app="bot", procfile=procfile_of(files), config_var_names=[], has_database=False))
    dockerfile = phoenix.render_dockerfile(advice.build)
    assert "COPY config config" not in dockerfile and "COPY . ." in dockerfile
    # Heroku added the buildpack's default web (bin/release), but with no HTTP server it could
    # only crash (R10) or sit scaled to 0: on Fly it would be a second bot failing its checks.
    assert advice.processes == {"worker": "mix run --no-halt"}
    assert any("No web process" in n for n in advice.notes)
    with_cowboy = {**files, "mix.exs": files["mix.exs"].replace("deps: []", 'deps: [{:plug_cowboy, "~> 2.0"}]')}
    root = write_app(tmp_path / "api", with_cowboy)
    advice = elixir.advise(elixir.detect(root), AppContext(
        fly_app="api", procfile=procfile_of(with_cowboy), config_var_names=[], has_database=False))
    assert advice.processes == {"worker": "mix run --no-halt", "web": "mix run --no-halt"}
    assert lint(tmp_path, dockerfile) == []


def test_release_scripts_run_the_release_as_mix_phx_server_and_migrate_did(tmp_path):
    """Run the generated bin/server and bin/migrate against a stand-in release binary."""
    root = write_app(tmp_path / "notes", RELEASES_15)
    advice, _ = advise(root, RELEASES_15)
    files = phoenix.scaffold_files({"build": advice.build}, root)
    bindir = tmp_path / "rel" / "bin"
    bindir.mkdir(parents=True)
    (bindir / "notes_web").write_text(
        '#!/bin/sh\nprintf "%s\\n" "$@"\necho "PHX_SERVER=$PHX_SERVER"\necho "ERL=$ELIXIR_ERL_OPTIONS"\n')
    for name in ("server", "migrate"):
        (bindir / name).write_text(files[f"rel/overlays/bin/{name}"][0])
    for script in bindir.iterdir():
        script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("PHX_SERVER", "ELIXIR_ERL_OPTIONS")}
    served = subprocess.run([str(bindir / "server")], capture_output=True, text=True, env=env,
                            cwd=tmp_path, check=True).stdout.splitlines()
    assert served == ["start", "PHX_SERVER=true", "ERL= -phoenix serve_endpoints true"]
    migrated = subprocess.run([str(bindir / "migrate")], capture_output=True, text=True, env=env,
                              cwd=tmp_path, check=True).stdout.splitlines()
    assert migrated[0] == "eval"
    assert migrated[1] == advice.build["migrate_expression"]  # one argument, quotes intact


@pytest.mark.parametrize("buildpacks, expected", [
    ([], "elixir --sname server -S mix phx.server"),
    (["https://github.com/HashNuke/heroku-buildpack-elixir",
      "https://github.com/gjaldon/heroku-buildpack-phoenix-static"], "elixir --sname server -S mix phx.server"),
    (["https://github.com/HashNuke/heroku-buildpack-elixir"], "mix run --no-halt"),
])
def test_no_procfile_runs_the_last_buildpacks_default_web(tmp_path, buildpacks, expected):
    files = {k: v for k, v in RELEASES_15.items() if k != "Procfile"}
    root = write_app(tmp_path / "notes", files)
    ctx = AppContext(fly_app="n", procfile={}, config_var_names=[], has_database=True,
                     buildpacks=buildpacks)
    advice = phoenix.advise(phoenix.detect(root), ctx)
    # The release maps both defaults (the node name is set by rel/env.sh.eex instead).
    assert advice.build["elixir_mode"] == "release"
    assert advice.replaced["web"].startswith(f"`{expected}`")


def test_assets_deploy_in_a_buildpack_hook_runs_once(tmp_path):
    root = tmp_path / "app"
    shutil.copytree(EXAMPLE, root)
    mix = (root / "mix.exs").read_text().replace(
        'setup: ["deps.get", "ecto.setup"],',
        'setup: ["deps.get", "ecto.setup"],\n      "assets.deploy": ["esbuild default --minify", "phx.digest"],')
    (root / "mix.exs").write_text(mix)
    (root / "elixir_buildpack.config").write_text(
        'elixir_version=1.17.3\nerlang_version=27.1.2\nhook_post_compile="eval mix assets.deploy && rm -f _build/esbuild"\n')
    advice, _ = advise(root)
    dockerfile = phoenix.render_dockerfile(advice.build)
    assert dockerfile.count("mix assets.deploy") == 1 + dockerfile.count("# mix assets.deploy")
    assert "RUN eval mix assets.deploy && rm -f _build/esbuild" in dockerfile


def test_otp_major_from_the_elixir_otp_suffix_when_erlang_is_not_pinned(tmp_path):
    files = {**RELEASES_15, ".tool-versions": "elixir 1.14.2-otp-25\n"}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.build["image"]["elixir"] == "1.14.2" and advice.build["image"]["otp"].startswith("25")


@pytest.mark.parametrize("releases, expected", [
    ("releases: releases(),", "notes_web"),
    ("releases: @releases,", None),
])
def test_release_names_from_a_function_or_unreadable(tmp_path, releases, expected):
    mix = RELEASES_15["mix.exs"].replace(
        "releases: [\n        notes_web: [include_executables_for: [:unix], applications: [runtime_tools: :permanent]]\n      ],",
        releases)
    mix = mix.replace("  defp deps do", "  defp releases do\n    [notes_web: [applications: [notes: :permanent]]]\n  end\n  defp deps do")
    files = {**RELEASES_15, "mix.exs": mix}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.build["release_name"] == expected
    assert advice.build["elixir_mode"] == ("release" if expected else "mix")


def _node_step(dockerfile: str) -> str:
    """The Node install RUN of a generated Dockerfile, as the shell command it runs."""
    lines = dockerfile.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("RUN arch="))
    script = []
    for line in lines[start:]:
        script.append(line[4:] if line.startswith("RUN ") else line)
        if not line.endswith("\\"):
            break
    return "\n".join(script)


@pytest.mark.parametrize("tamper", [False, True])
def test_node_step_installs_the_checksummed_tarball(tmp_path, tamper):
    """Run the Dockerfile's Node step with curl served from a local dist tree."""
    root = write_app(tmp_path / "market", UMBRELLA)
    advice, _ = advise(root, UMBRELLA)
    script = _node_step(phoenix.render_dockerfile(advice.build))
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    arch = "x64" if arch == "amd64" else arch
    dist = tmp_path / "dist" / "latest-v10.x"
    dist.mkdir(parents=True)
    name = f"node-v10.24.1-linux-{arch}"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"#!/bin/sh\necho v10.24.1\n"
        info = tarfile.TarInfo(f"{name}/bin/node")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
    (dist / f"{name}.tar.gz").write_bytes(buffer.getvalue())
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    if tamper:
        digest = "0" * 64
    (dist / "SHASUMS256.txt").write_text(f"{'1' * 64}  node-v10.24.1-headers.tar.gz\n"
                                         f"{digest}  {name}.tar.gz\n")
    prefix = tmp_path / "usr-local"
    prefix.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    fake_curl = f'curl() {{ url="${{@: -1}}"; cp "{tmp_path}/dist/${{url#*/dist/}}" .; }}\n'
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", fake_curl + script.replace("/usr/local", str(prefix))],
                          cwd=work, capture_output=True, text=True,
                          env={**os.environ, "NODE_DIST": "latest-v10.x"})
    if tamper:
        assert proc.returncode != 0 and not (prefix / "bin" / "node").exists()
    else:
        assert proc.returncode == 0, proc.stderr
        assert (prefix / "bin" / "node").read_bytes().startswith(b"#!/bin/sh")
        assert not list(work.iterdir())  # downloads removed


def test_env_read_in_prod_exs_keeps_mix_even_beside_runtime_exs(tmp_path):
    files = {**RELEASES_15, "config/runtime.exs": "import Config\n",
             "config/prod.exs": 'import Config\nconfig :notes, NotesWeb.Endpoint, url: [host: System.get_env("HOST")]\n'}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.build["elixir_mode"] == "mix"
    assert "config/prod.exs read HOST" in advice.build["mode_reason"]
    assert "runtime.exs does not cover them" in advice.build["mode_reason"]


def test_system_tuples_are_read_at_boot_and_allow_a_release(tmp_path):
    files = {**RELEASES_15,
             "config/prod.exs": 'import Config\nconfig :notes, NotesWeb.Endpoint, http: [port: {:system, "PORT"}]\n'}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.build["elixir_mode"] == "release"


def test_procfile_running_a_built_release_gets_it_built_in_the_mix_image(tmp_path):
    """e.g. a release buildpack (chrismcg/heroku-buildpack-elixir-mix-release) built it on Heroku."""
    files = {**PHOENIX_12, "elixir_buildpack.config": "elixir_version=1.10.4\nerlang_version=23.0\n",
             "Procfile": "web: _build/prod/rel/shop/bin/shop start\n"}
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, files)
    assert advice.build["elixir_mode"] == "mix"  # prod.exs reads env: a Fly-built release gets nil
    assert "RUN mix release --overwrite" in phoenix.render_dockerfile(advice.build)
    assert any(s["item"] == "A release built with Heroku's config vars" for s in advice.manual_steps)


def test_no_procfile_with_the_mix_release_buildpack_runs_its_release(tmp_path):
    files = {k: v for k, v in RELEASES_15.items() if k != "Procfile"}
    files["mix.exs"] = files["mix.exs"].replace(
        "      releases: [\n        notes_web: [include_executables_for: [:unix], applications: [runtime_tools: :permanent]]\n      ],\n", "")
    root = write_app(tmp_path / "notes", files)
    ctx = AppContext(fly_app="n", procfile={}, config_var_names=[], has_database=True,
                     buildpacks=["https://github.com/HashNuke/heroku-buildpack-elixir",
                                 "https://github.com/chrismcg/heroku-buildpack-elixir-mix-release"])
    advice = phoenix.advise(phoenix.detect(root), ctx)
    assert advice.build["elixir_mode"] == "release" and advice.build["release_name"] == "notes"
    assert advice.processes == {"web": "/app/bin/notes start"}
    assert advice.replaced["web"].startswith("`_build/prod/rel/notes/bin/notes start`")


# -- traps from the session-3 corpus (docs/phoenix.md "Real Phoenix apps studied") ------------


@pytest.mark.parametrize("line, expected", [
    # The read is a value of its own; another keyword separates it from :inet6.
    ('config :shop, Shop.Repo, url: System.get_env("DATABASE_URL"), ssl: true, socket_options: [:inet6]', None),
    ('socket_options: [:inet6], url: System.get_env("DATABASE_URL")', None),
    ('http: [:inet6, port: String.to_integer(System.get_env("PORT") || "4000")]', None),
    # A condition joins the read and :inet6: that variable is the switch.
    ('socket_options: if System.get_env("ECTO_IPV6") in ~w(true 1), do: [:inet6], else: []', "ECTO_IPV6"),
    ('url: System.get_env("DATABASE_URL"), socket_options: if(System.get_env("ECTO_IPV6") == "true", do: [:inet6], else: [])', "ECTO_IPV6"),
    ('maybe_ipv6 = if System.get_env("USE_IP_V6") == "true", do: [:inet6], else: []', "USE_IP_V6"),
])
def test_only_a_conditional_env_read_is_the_ipv6_switch(tmp_path, line, expected):
    files = {**RELEASES_15, "config/runtime.exs": f"import Config\n{line}\n"}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.build and phoenix.detect(root).facts["ipv6_env"] == expected
    assert advice.env.get("DATABASE_URL") is None and advice.env.get("PORT") == "4000"
    if expected:
        assert advice.env[expected] == "true"


def test_elixir_requirement_from_a_module_attribute(tmp_path):
    files = {k: v for k, v in PHOENIX_12.items() if k != "elixir_buildpack.config"}
    files["mix.exs"] = files["mix.exs"].replace(
        "  def project do\n", '  @elixir_requirement "~> 1.6"\n  # elixir: "~> 1.2" in a comment does not count\n  def project do\n'
    ).replace('elixir: "~> 1.2"', "elixir: @elixir_requirement")
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, files)
    assert phoenix.detect(root).facts["elixir_requirement"] == "~> 1.6"
    assert advice.build["elixir_version"].startswith("1.6.")


@pytest.mark.parametrize("elixir_version, otp, expect_tag", [
    # A seen tag of the same OTP major beats a derived newer patch (BanchanArt/banchan@06b2e2a0).
    ("1.11.4", "23.0", "1.11.4-erlang-23.3-debian-buster-20210208"),
    # An exact OTP match beats a longer patch of it (GSA/Challenge_gov@6e9e2ddb).
    ("1.16.3", "26.2.5", "1.16.3-erlang-26.2.5-debian-bookworm-20240612"),
    # Bob built 1.8 on OTP 20-22 and 1.7 on 19-22 (AgileVentures/sing_for_needs@2c4af3d9).
    ("1.8.0", "20.3", "1.8.2-erlang-20.3-debian-stretch-20200224"),
    ("1.7.3", "19.3", "1.7.4-erlang-19.3-debian-stretch-20200224"),
    # Bob built 1.10 on OTP 21-22; OTP 21 stays OTP 21 (Alexxfrolov/bloomchain@fd56d4ab).
    ("1.10", "21.3.3", "1.10.4-erlang-21.3-debian-stretch-20200224"),
    ("1.10.3", "21.3.3", "1.10.4-erlang-21.3-debian-stretch-20200224"),
    # Bob's elixir_to_otp (c74b379, 2021-09): 1.12 on OTP 22-24 (BrunoRibeiro147/Convex@ebc29f39).
    ("1.12.2", "22.3.2", "1.12.3-erlang-22.3.4.26-debian-bullseye-20210902"),
    # Elixir 1.14.5 runs on OTP 26; a seen bullseye tag (AXGZ21/nexora@fcc3349c).
    ("1.14.5", "26.2.5.7", "1.14.5-erlang-26.2.2-debian-bullseye-20240130"),
])
def test_choose_prefers_exact_then_seen_tags(elixir_version, otp, expect_tag):
    image, notes = images.choose(elixir_version, otp)
    assert image.tag == expect_tag
    assert (image.evidence == "derived") == any("not seen in use" in n for n in notes)


DISTILLERY_13 = {
    **PHOENIX_12,
    "mix.exs": PHOENIX_12["mix.exs"].replace(
        '{:postgrex, ">= 0.0.0"}', '{:postgrex, ">= 0.0.0"}, {:distillery, "~> 1.5", runtime: false}'),
    "rel/config.exs": "use Mix.Releases.Config\nrelease :shop do\n  set version: current_version(:shop)\nend\n",
    "elixir_buildpack.config": "erlang_version=20.3\nelixir_version=1.6.6\n",
    "Procfile": "web: _build/prod/rel/shop/bin/shop foreground\n",
}


def test_distillery_binary_in_the_procfile_is_built_with_distillerys_task(tmp_path):
    root = write_app(tmp_path / "shop", DISTILLERY_13)
    advice, _ = advise(root, DISTILLERY_13)
    assert advice.build["elixir_mode"] == "mix"
    text = phoenix.render_dockerfile(advice.build)
    assert "mix distillery.release --env=${MIX_ENV}" in text and "--overwrite" not in text
    assert lint(tmp_path, text) == []
    line = DISTILLERY_13["Procfile"].split(": ", 1)[1].strip()
    assert machine.runs_heroku_line(machine_argv(advice, line), line, advice.env)


def test_a_cd_in_the_apps_own_hook_is_kept_and_lints(tmp_path):
    files = {**RELEASES_15, "elixir_buildpack.config":
             'elixir_version=1.13.4\nerlang_version=24.3.4\nhook_post_compile="cd assets && npm run deploy"\n'}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    text = phoenix.render_dockerfile(advice.build)
    assert "# hadolint ignore=DL3003\nRUN cd assets && npm run deploy" in text
    assert lint(tmp_path, text) == []


def test_static_buildpack_compile_script_wins_over_assets_deploy(tmp_path):
    """lib/build.sh runs the compile script when it exists, whatever aliases mix.exs has."""
    files = {**{k: v for k, v in RELEASES_15.items() if k != "assets/package.json"},
             "mix.exs": RELEASES_15["mix.exs"].replace(
                 "  def project do\n", '  defp aliases, do: ["assets.deploy": ["esbuild default --minify", "phx.digest"]]\n  def project do\n'),
             "phoenix_static_buildpack.config": "node_version=16.14.2\n",
             "compile": "cd $phoenix_dir\nmix assets.deploy\n"}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.build["assets"]["kind"] == "static-buildpack"
    text = phoenix.render_dockerfile(advice.build)
    assert "bash -eo pipefail -c '. /app/compile'" in text
    assert "npm install" not in text  # no package.json: nothing for npm to install
    assert lint(tmp_path, text) == []


def test_rustler_crates_get_rust_in_the_builder(tmp_path):
    files = {**RELEASES_15,
             "mix.exs": RELEASES_15["mix.exs"].replace('{:phoenix,', '{:rustler, "~> 0.29.0"}, {:phoenix,'),
             "native/notes_nif/Cargo.toml": '[package]\nname = "notes_nif"\n',
             ".tool-versions": "rust 1.74.1\n"}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    text = phoenix.render_dockerfile(advice.build)
    assert "--default-toolchain 1.74.1" in text and "native/notes_nif" in text
    assert lint(tmp_path, text) == []
    precompiled = {**files, "mix.exs": RELEASES_15["mix.exs"].replace('{:phoenix,', '{:rustler_precompiled, "~> 0.6"}, {:phoenix,')}
    root = write_app(tmp_path / "pre", precompiled)
    advice, _ = advise(root, precompiled)
    assert "rustup" not in phoenix.render_dockerfile(advice.build)


def test_private_hex_repo_and_hook_credentials_are_a_manual_step(tmp_path):
    """Oban Pro: `repo: "oban"` in mix.exs and a pre-fetch hook reading license config vars."""
    files = {**RELEASES_15,
             "mix.exs": RELEASES_15["mix.exs"].replace(
                 '{:phoenix,', '{:oban, "~> 2.11"}, {:oban_pro, "~> 0.12", repo: "oban"}, {:phoenix,'),
             "elixir_buildpack.config": 'elixir_version=1.13.4\nerlang_version=24.3.4\n'
             'hook_pre_fetch_dependencies="mix hex.repo add oban https://getoban.pro/repo --auth-key ${OBAN_LICENSE_KEY}"\n'}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    step = next(s for s in advice.manual_steps if s["item"].startswith("Build credentials"))
    assert "OBAN_LICENSE_KEY" in step["item"] and "oban_pro" in step["why"]
    assert "MIX_ENV" not in step["item"]
    plain, _ = advise(write_app(tmp_path / "plain", RELEASES_15), RELEASES_15)
    assert not any(s["item"].startswith("Build credentials") for s in plain.manual_steps)


def test_map_fetch_of_system_env_is_a_build_time_read(tmp_path):
    """BanchanArt/banchan, DefactoSoftware/BearNecessities: `Map.fetch!(System.get_env(), "X")`
    in prod.exs raises in a build without config vars, and a release would bake it."""
    files = {**RELEASES_15, "config/prod.exs":
             'import Config\nconfig :notes, NotesWeb.Endpoint, server: true,\n'
             '  secret_key_base: Map.fetch!(System.get_env(), "SECRET_KEY_BASE"),\n'
             '  check_origin: ["https://notes-demo.herokuapp.com"]\n'}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.build["elixir_mode"] == "mix" and "SECRET_KEY_BASE" in advice.build["mode_reason"]
    items = [s["item"] for s in advice.manual_steps]
    assert "Config read while building: SECRET_KEY_BASE" in items
    assert "Heroku host in config: https://notes-demo.herokuapp.com" in items


def test_release_binary_eval_in_the_procfile_maps_onto_the_release(tmp_path):
    files = {**RELEASES_15, "config/runtime.exs": "import Config\n",
             "elixir_buildpack.config": "elixir_version=1.13.4\nerlang_version=24.3.4\nrelease=true\n",
             "Procfile": 'web: _build/prod/rel/notes_web/bin/notes_web start\n'
                         'release: _build/prod/rel/notes_web/bin/notes_web eval "Notes.Release.migrate"\n'}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.build["elixir_mode"] == "release"
    assert advice.processes == {"web": "/app/bin/notes_web start"}
    assert advice.release.line == '/app/bin/notes_web eval "Notes.Release.migrate"'


def test_graphql_only_router_checks_graphiql(tmp_path):
    """AgileVentures/sing_for_needs: only `forward` routes; GET / would be 404."""
    router = '''defmodule NotesWeb.Router do
  use NotesWeb, :router
  scope "/" do
    pipe_through :api
    forward "/api", Absinthe.Plug, schema: NotesWeb.Schema
    forward("/graphiql", Absinthe.Plug.GraphiQL, schema: NotesWeb.Schema)
  end
end
'''
    files = {**RELEASES_15, "lib/notes_web/router.ex": router}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert advice.health_check.path == "/graphiql"
    files["lib/notes_web/router.ex"] = router.replace('    forward("/graphiql"', '    if Mix.env() == :dev do\n      forward("/graphiql"').replace(
        "NotesWeb.Schema)\n  end", "NotesWeb.Schema)\n    end\n  end")
    root = write_app(tmp_path / "dev", files)
    advice, _ = advise(root, files)
    assert advice.health_check.path == "/"


def test_sockets_on_a_custom_url_host_are_noted(tmp_path):
    files = {**RELEASES_15,
             "config/prod.exs": 'import Config\nconfig :notes, NotesWeb.Endpoint, server: true, '
                                'url: [host: "notes.acme-notes.com", port: 443]\n',
             "lib/notes_web/endpoint.ex": 'defmodule NotesWeb.Endpoint do\n  use Phoenix.Endpoint, otp_app: :notes\n'
                                          '  socket "/live", Phoenix.LiveView.Socket\nend\n'}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    assert any("notes.acme-notes.com" in n and "shop-fly.fly.dev" in n for n in advice.notes)
    files["config/prod.exs"] = files["config/prod.exs"].replace("port: 443]", "port: 443], check_origin: false")
    root = write_app(tmp_path / "open", files)
    advice, _ = advise(root, files)
    assert not any("check_origin" in n for n in advice.notes)
    # phx.new's placeholder host (DockYard/live_view_demo@10a455cb) is nobody's domain.
    files["config/prod.exs"] = files["config/prod.exs"].replace("notes.acme-notes.com", "example.com").replace(", check_origin: false", "")
    root = write_app(tmp_path / "placeholder", files)
    advice, _ = advise(root, files)
    assert not any("check_origin" in n for n in advice.notes)


@pytest.mark.parametrize("static, package_at, phoenix_lock, expected", [
    # The config's phoenix_ex counts only where it says package.json is (lib/common.sh).
    ("assets_path=.\nphoenix_ex=phoenix\n", "assets/package.json", "1.3.4", "phx"),
    ("assets_path=assets\nphoenix_ex=phoenix\n", "assets/package.json", "1.3.4", "phoenix"),
    # ... and then only tasks the app's Phoenix has: phoenix.* are gone from 1.4.
    ("assets_path=assets\nphoenix_ex=phoenix\n", "assets/package.json", "1.4.16", "phx"),
    # Phoenix 1.2 has no phx.* tasks.
    ("assets_path=assets\nphoenix_ex=phx\n", "assets/package.json", "1.2.5", "phoenix"),
])
def test_phoenix_task_namespace_follows_the_buildpack_and_phoenix(tmp_path, static, package_at,
                                                                   phoenix_lock, expected):
    files = {**{k: v for k, v in PHOENIX_12.items() if k != "package.json"},
             "phoenix_static_buildpack.config": static,
             package_at: PHOENIX_12["package.json"],
             "mix.lock": PHOENIX_12["mix.lock"].replace("1.2.5", phoenix_lock)}
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, files)
    assert advice.build["assets"]["phoenix_ex"] == expected
    assert f"mix {expected}.digest" in phoenix.render_dockerfile(advice.build)


def test_mix_exs_reading_a_file_gets_the_tree_before_deps(tmp_path):
    files = {**RELEASES_15, "VERSION": "0.4.2\n",
             "mix.exs": RELEASES_15["mix.exs"].replace('version: "0.1.0"', 'version: String.trim(File.read!("VERSION"))')}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    text = phoenix.render_dockerfile(advice.build)
    assert "COPY mix.exs mix.lock* ./" not in text
    assert text.index("COPY . .") < text.index("RUN mix deps.get")
    assert text.count("COPY . .") == 1 and lint(tmp_path, text) == []
    path_dep = {**RELEASES_15, "mix.exs": RELEASES_15["mix.exs"].replace(
        '{:phoenix,', '{:notes_core, path: "libs/notes_core"}, {:phoenix,')}
    root = write_app(tmp_path / "path", path_dep)
    advice, _ = advise(root, path_dep)
    assert "COPY mix.exs mix.lock* ./" not in phoenix.render_dockerfile(advice.build)


def test_phx_host_is_the_custom_domain_when_heroku_had_one(tmp_path):
    files = {**RELEASES_15, "config/runtime.exs":
             'import Config\nconfig :notes, NotesWeb.Endpoint, url: [host: System.get_env("PHX_HOST") || "example.com"]\n'}
    root = write_app(tmp_path / "notes", files)
    detection = phoenix.detect(root)
    ctx = AppContext(fly_app="notes-fly", procfile=procfile_of(files), config_var_names=[],
                     has_database=True, domains=["*.notes.example.org", "notes.example.org"])
    assert phoenix.advise(detection, ctx).env["PHX_HOST"] == "notes.example.org"
    ctx.domains = []
    assert phoenix.advise(detection, ctx).env["PHX_HOST"] == "notes-fly.fly.dev"


def test_tools_libraries_shell_out_to_are_installed(tmp_path):
    """Mogrify runs ImageMagick's commands, which Heroku's stack image had; ffmpeg came from a
    buildpack (EmbersPlatform/embers lists heroku-buildpack-ffmpeg-latest)."""
    files = {**RELEASES_15, "mix.exs": RELEASES_15["mix.exs"].replace('{:phoenix,', '{:mogrify, "~> 0.9"}, {:phoenix,')}
    root = write_app(tmp_path / "notes", files)
    ctx = AppContext(fly_app="n", procfile=procfile_of(files), config_var_names=[], has_database=True,
                     buildpacks=["https://github.com/HashNuke/heroku-buildpack-elixir",
                                 "https://github.com/jonathanong/heroku-buildpack-ffmpeg-latest.git"])
    advice = phoenix.advise(phoenix.detect(root), ctx)
    text = phoenix.render_dockerfile(advice.build)
    runner = text[text.index("FROM ${RUNNER_IMAGE}"):]
    assert "imagemagick" in runner and "ffmpeg" in runner
    assert lint(tmp_path, text) == []
    plain, _ = advise(write_app(tmp_path / "plain", RELEASES_15), RELEASES_15)
    assert "imagemagick" not in phoenix.render_dockerfile(plain.build)


@pytest.mark.parametrize("hook, kept, release_line", [
    # GeorgeKaraszi/MockForum@4fa2573c: the deprecated post_compile migrated while building.
    ('post_compile="mix ecto.migrate"', None, "/app/bin/migrate"),
    ('hook_post_compile="eval mix ecto.migrate && mix assets.deploy"', "RUN eval mix assets.deploy", "/app/bin/migrate"),
])
def test_database_hooks_leave_the_build_for_the_release_command(tmp_path, hook, kept, release_line):
    files = {**RELEASES_15, "Procfile": "web: mix phx.server\n",
             "elixir_buildpack.config": f"elixir_version=1.13.4\nerlang_version=24.3.4\n{hook}\n"}
    root = write_app(tmp_path / "notes", files)
    advice, _ = advise(root, files)
    text = phoenix.render_dockerfile(advice.build)
    assert not re.search(r"^RUN .*ecto\.migrate", text, re.M)
    if kept:
        assert kept in text
    assert advice.release.line == release_line
    assert lint(tmp_path, text) == []


def test_post_compile_runs_last_in_the_build(tmp_path):
    files = {**PHOENIX_12, "elixir_buildpack.config": 'elixir_version=1.6.6\nerlang_version=20.3\npost_compile="mix run priv/gen_sitemap.exs"\n'}
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, files)
    text = phoenix.render_dockerfile(advice.build)
    assert text.index("RUN mix compile --force") < text.index("RUN mix run priv/gen_sitemap.exs")


def test_two_assignments_on_one_buildpack_config_line_set_both(tmp_path):
    # bash (the buildpack sources the file) sets both.
    files = {**PHOENIX_12,
             "elixir_buildpack.config": "elixir_version=1.13.3 erlang_version=23.3.4  # pins\n"}
    root = write_app(tmp_path / "shop", files)
    buildpack = phoenix.detect(root).facts["buildpack"]
    assert buildpack["elixir_version"] == "1.13.3"
    assert buildpack["erlang_version"] == "23.3.4"


def test_resources_routes_define_get_unless_their_options_drop_it(tmp_path):
    router = '''defmodule Shop.Router do
  use Shop.Web, :router
  scope "/api", Shop do
    resources "/carts", CartController, only: [:create, :show]
    resources "/me", ProfileController, singleton: true
    resources "/orders", OrderController, except: [:index] do
      resources "/lines", LineController
    end
    resources "/items", ItemController
  end
end
'''
    files = {**PHOENIX_12, "web/router.ex": router}
    root = write_app(tmp_path / "shop", files)
    paths = [r["path"] for r in phoenix.detect(root).facts["routes"]]
    assert paths == ["/api/me", "/api/orders/:id/lines", "/api/items"]
    advice, _ = advise(root, files)
    assert advice.health_check.path == "/api/me"


def test_root_catch_all_route_is_why_get_root_answers(tmp_path):
    # BoscoCHW/resistance_boradgame@4975bc34: a LiveView glob is the only fixed page.
    router = '''defmodule Shop.Router do
  use Shop.Web, :router
  scope "/", Shop do
    pipe_through :browser
    live "/table/:code", TableLive, :table
    live "/*path", LobbyLive, :index
  end
end
'''
    files = {**PHOENIX_12, "web/router.ex": router}
    root = write_app(tmp_path / "shop", files)
    advice, _ = advise(root, files)
    assert advice.health_check.path == "/"
    assert "/*path" in advice.health_check.why
