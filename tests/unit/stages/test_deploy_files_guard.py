"""Attack 3 (second half): a PR's fly.toml may not make flyctl read runner files (docs/security.md)."""

from __future__ import annotations

import os

import pytest

from herokufly.base import fly_toml_guard
from herokufly.base.errors import ConfigError
from herokufly.stages import deploy
from tests.unit.stages.conftest import FLY_APP
from tests.unit.stages.test_deploy_domains_cutover import FLY_TOML, _deploy_ctx, repo, smoke_server  # noqa: F401

ESCAPES = [
    '[[files]]\n  guest_path = "/app/env"\n  local_path = "/proc/self/environ"\n',
    '[[files]]\n  guest_path = "/app/k"\n  local_path = "../../home/runner/.ssh/id_rsa"\n',
    '[[files]]\n  guest_path = "/app/l"\n  local_path = "link/environ"\n',
    '[build]\n  dockerfile = "/proc/self/environ"\n',
]


@pytest.mark.parametrize("extra", ESCAPES)
def test_deploy_refuses_a_fly_toml_reading_outside_the_repo(make_ctx, fake_fly, repo, smoke_server, extra):
    (repo / "link").symlink_to("/proc/self")
    (repo / "fly.toml").write_text(FLY_TOML + extra)
    fake_fly.client().create_app(FLY_APP, "personal")
    with pytest.raises(ConfigError, match="reads files from outside the repository"):
        deploy.run(_deploy_ctx(make_ctx, repo, smoke_server))
    assert fake_fly.calls("deploy") == []  # flyctl never ran


def test_files_inside_the_repo_are_fine(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "app.yaml").write_text("a: 1\n")
    toml = tmp_path / "fly.toml"
    toml.write_text('app = "x"\n[build]\n  dockerfile = "Dockerfile"\n'
                    '[[files]]\n  guest_path = "/app/app.yaml"\n  local_path = "config/app.yaml"\n'
                    '[[files]]\n  guest_path = "/app/v"\n  raw_value = "aGk="\n')
    fly_toml_guard.check_local_files(toml, tmp_path)
    os.symlink(tmp_path / "config" / "app.yaml", tmp_path / "inside-link")
    toml.write_text('[[files]]\n  guest_path = "/a"\n  local_path = "inside-link"\n')
    fly_toml_guard.check_local_files(toml, tmp_path)
