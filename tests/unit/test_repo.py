"""Reading the user's repo: good files, and bad files naming the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from herokufly.errors import ConfigError
from herokufly.repo import parse_app_json, parse_procfile, read_repo

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "phoenix_app"


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
    "text, line",
    [
        ("web: ok\nthis line has no colon\n", 2),
        ("web: ok\n\n# c\nweb worker: x\n", 4),
        ("web:\n", 1),  # no command
        ("web: a\nweb: b\n", 2),  # defined twice
    ],
)
def test_malformed_procfile_names_file_and_line(text, line):
    with pytest.raises(ConfigError) as exc:
        parse_procfile(text)
    assert exc.value.message.startswith(f"Procfile:{line}:")


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
        ({"pyproject.toml": "[project]\nname='x'\ndependencies=['flask']\n"}, "python"),
        ({"package.json": json.dumps({"name": "x"})}, "node"),
        ({"go.mod": "module x\n"}, "go"),
        ({}, "unknown"),
    ],
)
def test_framework_is_named(tmp_path, files, framework):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert read_repo(tmp_path).framework == framework


def test_missing_repo_directory_is_a_user_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_repo(tmp_path / "nope")
