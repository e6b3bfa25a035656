"""Shared fixtures: real PostgreSQL servers and canary secret values."""

from __future__ import annotations

import uuid

import pytest

from herokufly import masking
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


@pytest.fixture
def canary() -> str:
    """A secret value that must never show in any output."""
    return "CANARY-" + uuid.uuid4().hex
