"""Shared fixtures: real PostgreSQL servers and canary secret values."""

from __future__ import annotations

import os
import uuid

import pytest

from herokufly.base import masking
from tests import pgserver


@pytest.fixture(scope="session")
def pg15():
    """The host's PostgreSQL 15 server, one per test session."""
    server = pgserver.start_host_server(15)
    yield server
    pgserver.remove(server)


@pytest.fixture
def fresh_db(pg15):
    """A new empty database on the host server; returns (server, url)."""
    name = "t_" + uuid.uuid4().hex[:10]
    url = pg15.create_database(name)
    yield pg15, url
    pg15.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _forget_masked_values():
    yield
    masking.clear()


@pytest.fixture(autouse=True)
def _restore_process_environment():
    """The action exports its secrets into os.environ and changes directory, as it must in its
    container; in tests that would leak into every later test."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    yield
    os.environ.clear()
    os.environ.update(saved_env)
    os.chdir(saved_cwd)


@pytest.fixture
def canary() -> str:
    """A secret value that must never show in any output."""
    return "CANARY-" + uuid.uuid4().hex


PG17_ROOT = "/var/cache/herokufly/trixie-pg17"  # built by scripts/setup-pg17
PG17_BINDIR = "/var/cache/herokufly/pg17-bin"  # pg_dump/pg_restore/psql 17 wrappers

# herokufly finds extra client versions through HEROKUFLY_PG_BINDIR; the tests' PostgreSQL 17
# tools live in the setup-pg17 cache, which the package itself knows nothing about.
if os.path.isdir(PG17_BINDIR):
    os.environ.setdefault("HEROKUFLY_PG_BINDIR", PG17_BINDIR)


def _need_pg17() -> None:
    import os

    if not (os.path.isfile(os.path.join(PG17_ROOT, ".complete"))
            and os.access(os.path.join(PG17_BINDIR, "pg_dump"), os.X_OK)):
        message = "PostgreSQL 17 root missing: run scripts/setup-pg17"
        if os.environ.get("HEROKUFLY_REQUIRE_ALL") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def pg17():
    """A PostgreSQL 17 server running from the Debian 13 root (chroot), one per session."""
    import os
    import tempfile

    _need_pg17()
    tmp = tempfile.mkdtemp(prefix="herokufly-pg17-", dir=os.path.join(PG17_ROOT, "tmp"))
    os.chmod(tmp, 0o755)
    inside = tmp[len(PG17_ROOT):]
    server = pgserver.PgServer(bindir="/usr/lib/postgresql/17/bin", prefix=["chroot", PG17_ROOT],
                               datadir_host=os.path.join(tmp, "data"),
                               datadir=os.path.join(inside, "data")).start()
    yield server
    pgserver.remove(server)


@pytest.fixture(scope="session")
def pg17_client() -> str:
    """The bin dir of PostgreSQL 17 client tools (pg_dump, psql) usable against any server."""
    _need_pg17()
    return PG17_BINDIR

# flyctl and pg tools get an allow-listed environment (herokufly/base/child_env.py); the fake
# flyctl's own settings are test-only, so the tests name them, as a user would name a proxy's.
os.environ.setdefault("HEROKUFLY_CHILD_ENV", "FAKE_FLYCTL_*,FLYCTL_CONTRACT")
