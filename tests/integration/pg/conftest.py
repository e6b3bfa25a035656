"""Fixtures for database transfer tests: Heroku-like sources and empty targets owned by an
application role whose password is a canary (must never appear in any output)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass

import psycopg
import pytest

from tests import pg_dataset

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@dataclass
class AppDb:
    server: object
    name: str
    role: str
    password: str

    @property
    def url(self) -> str:
        return f"postgres://{self.role}:{self.password}@127.0.0.1:{self.server.port}/{self.name}"


def make_app_db(server, password: str, *, fill_rows: int | None = None) -> AppDb:
    """A database owned by a new non-superuser login role (like Heroku's and Fly's users)."""
    suffix = uuid.uuid4().hex[:8]
    role, name = f"app_{suffix}", f"db_{suffix}"
    server.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    server.execute(f'CREATE DATABASE "{name}" OWNER {role}')
    db = AppDb(server, name, role, password)
    if fill_rows is not None:
        pg_dataset.build(db.url, fill_rows)
    return db


@pytest.fixture
def make_db(canary):
    created: list[AppDb] = []

    def factory(server, *, fill_rows: int | None = None) -> AppDb:
        db = make_app_db(server, canary, fill_rows=fill_rows)
        created.append(db)
        return db

    yield factory
    for db in created:
        db.server.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
        db.server.execute(f"DROP ROLE IF EXISTS {db.role}")


def run_cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `herokufly` as a real process, capturing everything it prints."""
    full_env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "herokufly", *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def scalar(url: str, sql: str, params=None):
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql, params).fetchone()
        return None if row is None else row[0]
