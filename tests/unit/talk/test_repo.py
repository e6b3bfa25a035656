"""Reading the user's repo: good files, and bad files naming the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from herokufly.base.errors import ConfigError
from herokufly.talk.repo import parse_app_json, parse_procfile, read_procfile, read_repo

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "phoenix_app"


def test_example_phoenix_repo_is_read_fully():
    repo = read_repo(EXAMPLE)
    assert repo.framework == "phoenix"
    assert repo.mix_app == "acme"
    assert repo.mix_module == "Acme"
    assert repo.has_oban and repo.has_ecto
    assert repo.procfile == {
        "web": "mix phx.server",
        "worker": "mix run --no-halt",
        "release": "mix ecto.migrate",
    }
    # elixir_buildpack.config is what Heroku builds with, so it is the source.
    assert (repo.elixir_version, repo.otp_version) == ("1.17.3", "27.1.2")
    assert repo.versions_source == "elixir_buildpack.config"
    assert repo.node_version == "20.18.0"
    assert repo.app_json["formation"]["web"]["size"] == "standard-2x"
    assert repo.stack == "heroku-24"
    assert repo.postdeploy == "mix run priv/repo/seeds.exs"
    assert not repo.has_dockerfile and not repo.has_fly_toml
    assert repo.release_module is None


def test_procfile_skips_comments_and_blank_lines():
    assert parse_procfile("# c\n\nweb: bin/web -p $PORT  \nclock_1: run\n") == {
        "web": "bin/web -p $PORT",
        "clock_1": "run",
    }


@pytest.mark.parametrize(
    "text, expected, warning",
    [
        ("web: ok\nthis line has no colon\n", {"web": "ok"}, "Procfile:2: ignored"),
        ("web: ok\n\n# c\nweb worker: x\n", {"web": "ok"}, "Procfile:4: ignored"),
        ("web:\nworker: w\n", {"worker": "w"}, "Procfile:1: ignored"),  # no command
        ("web: a\nweb: b\n", {"web": "b"}, "Procfile:2: process type 'web' is defined again"),
        ("\ufeffweb: a -p $PORT\r\nworker:  b\r\n", {"web": "a -p $PORT", "worker": "b"}, None),
    ],
)
def test_procfile_is_read_as_heroku_reads_it(text, expected, warning):
    # Heroku ignores lines that are not `type: command` and keeps the last duplicate; we
    # do the same and say so, instead of refusing a Procfile Heroku ran.
    processes, warnings = read_procfile(text)
    assert processes == expected
    if warning:
        assert len(warnings) == 1 and warnings[0].startswith(warning)
    else:
        assert warnings == []


def test_procfile_path_from_app_json_is_used(tmp_path):
    (tmp_path / "app.json").write_text(json.dumps({"env": {"PROCFILE_PATH": {"value": "deploy/Procfile.web"}}}))
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "Procfile.web").write_text("web: bin/start\n")
    (tmp_path / "Procfile").write_text("web: wrong\n")
    repo = read_repo(tmp_path)
    assert repo.procfile_path == "deploy/Procfile.web"
    assert repo.procfile == {"web": "bin/start"}


def test_procfile_path_outside_the_repo_is_not_followed(tmp_path):
    (tmp_path / "app.json").write_text(json.dumps({"env": {"PROCFILE_PATH": "../../etc/passwd"}}))
    (tmp_path / "Procfile").write_text("web: ok\n")
    repo = read_repo(tmp_path)
    assert repo.procfile_path == "Procfile" and repo.procfile == {"web": "ok"}


def test_buildpacks_from_app_json_then_dot_buildpacks(tmp_path):
    (tmp_path / ".buildpacks").write_text("# comment\nhttps://github.com/x/bp-a\n\nheroku/ruby\n")
    assert read_repo(tmp_path).buildpacks == ["https://github.com/x/bp-a", "heroku/ruby"]
    (tmp_path / "app.json").write_text(json.dumps(
        {"buildpacks": [{"url": "heroku/nodejs"}, "heroku/ruby", {"nope": 1}, 7]}))
    repo = read_repo(tmp_path)
    assert repo.buildpacks == ["heroku/nodejs", "heroku/ruby"]
    assert repo.buildpacks_source == "app.json"


def test_host_bound_app_json_vars_are_named_not_stored(tmp_path):
    (tmp_path / "app.json").write_text(json.dumps({"env": {
        "ALLOWED_HOSTS": {"value": "acme.herokuapp.com,www.acme.com"},
        "BASE_URL": "https://ACME.HerokuApp.com/",
        "SECRET": {"generator": "secret"},
        "OTHER": {"value": "example.com"},
    }}))
    repo = read_repo(tmp_path)
    assert repo.host_bound_vars == ["ALLOWED_HOSTS", "BASE_URL"]
    assert "herokuapp" not in json.dumps(repo.host_bound_vars)


def test_umbrella_phoenix_app_is_phoenix(tmp_path):
    (tmp_path / "mix.exs").write_text("defmodule Shop.Umbrella.MixProject do\n"
                                      "  def project, do: [apps_path: \"apps\"]\nend\n")
    for name, deps in (("shop", "{:ecto_sql, \"~> 3.0\"}"), ("shop_web", "{:phoenix, \"~> 1.7\"}")):
        (tmp_path / "apps" / name).mkdir(parents=True)
        (tmp_path / "apps" / name / "mix.exs").write_text(
            f"defmodule X.MixProject do\n  defp deps, do: [{deps}]\nend\n")
    repo = read_repo(tmp_path)
    assert repo.framework == "phoenix"
    assert repo.umbrella_apps == ["shop", "shop_web"]
    assert repo.has_ecto


def test_own_dockerfile_is_modelled(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM node:20\nEXPOSE 3000\nCMD [\"npm\", \"start\"]\n")
    image = read_repo(tmp_path).dockerfile_image
    assert image.cmd == ("npm", "start") and image.expose == (3000,)


def test_invalid_app_json_names_line_and_column():
    with pytest.raises(ConfigError) as exc:
        parse_app_json('{\n  "name": "x",\n  "env": {,}\n}')
    assert exc.value.message.startswith("app.json:3:11: invalid JSON")


def test_app_json_must_be_an_object():
    with pytest.raises(ConfigError, match="app.json:1:1"):
        parse_app_json("[1, 2]")


def test_bad_fly_toml_names_line(tmp_path):
    (tmp_path / "fly.toml").write_text('app = "x"\n\n[http_service\ninternal_port = 1\n')
    with pytest.raises(ConfigError) as exc:
        read_repo(tmp_path)
    assert exc.value.message.startswith("fly.toml:3:")
    assert "TOML syntax error" in exc.value.message


def test_existing_fly_toml_app_is_read(tmp_path):
    (tmp_path / "fly.toml").write_text('app = "mine"\nprimary_region = "fra"\n')
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    repo = read_repo(tmp_path)
    assert repo.has_fly_toml and repo.fly_toml_app == "mine" and repo.has_dockerfile


def test_tool_versions_used_without_buildpack_config(tmp_path):
    (tmp_path / "mix.exs").write_text(
        "defmodule Shop.MixProject do\n  def project, do: [app: :shop_web]\n"
        "  defp deps, do: [{:plug_cowboy, \"~> 2.0\"}]\nend\n"
    )
    (tmp_path / ".tool-versions").write_text("elixir 1.16.3-otp-26  # pinned\nerlang 26.2.5\n")
    lib = tmp_path / "lib" / "shop_web"
    lib.mkdir(parents=True)
    (lib / "release.ex").write_text("defmodule ShopWeb.Release do\n  def migrate, do: :ok\nend\n")
    repo = read_repo(tmp_path)
    assert repo.framework == "elixir"  # no phoenix dependency
    assert (repo.mix_app, repo.mix_module) == ("shop_web", "Shop")
    assert (repo.elixir_version, repo.otp_version) == ("1.16.3", "26.2.5")
    assert repo.versions_source == ".tool-versions"
    assert repo.release_module == "ShopWeb.Release"
    assert not repo.has_oban


@pytest.mark.parametrize(
    "files, framework",
    [
        ({"Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7.1'\n"}, "rails"),
        ({"Gemfile": "gem 'sinatra'\n"}, "ruby"),
        ({"requirements.txt": "Django==5.0\ngunicorn\n"}, "django"),
        ({"requirements.txt": "-r requirements/base.txt\n",
          "requirements/base.txt": "gunicorn\n-r common.txt\n",
          "requirements/common.txt": "django>=4.2\n"}, "django"),
        ({"Pipfile": "[packages]\ndjango = \"*\"\n"}, "django"),
        ({"setup.py": "setup(install_requires=['Django>=3'])\n"}, "django"),
        ({"pom.xml": "<project/>"}, "java"),
        ({"build.gradle.kts": "plugins {}"}, "java"),
        ({"composer.json": json.dumps({"require": {"php": "^8.2"}})}, "php"),
        ({"pyproject.toml": "[project]\nname='x'\ndependencies=['flask']\n"}, "python"),
        ({"package.json": json.dumps({"name": "x"})}, "node"),
        ({"go.mod": "module x\n"}, "go"),
        ({}, "unknown"),
    ],
)
def test_framework_is_named(tmp_path, files, framework):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert read_repo(tmp_path).framework == framework


def test_missing_repo_directory_is_a_user_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_repo(tmp_path / "nope")


def test_an_umbrella_whose_apps_live_outside_apps_is_phoenix(tmp_path):
    # apps_path: "src": the Phoenix app is src/web, which the Mix detection reads.
    (tmp_path / "src" / "web").mkdir(parents=True)
    (tmp_path / "mix.exs").write_text('defmodule U.MixProject do\n  def project, do: '
                                      '[apps_path: "src", deps: []]\nend\n')
    (tmp_path / "src" / "web" / "mix.exs").write_text(
        'defmodule Web.MixProject do\n  def project, do: [app: :web, deps: [{:phoenix, "~> 1.6"}]]\nend\n')
    assert read_repo(tmp_path).framework == "phoenix"
