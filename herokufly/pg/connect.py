"""Connection strings: parse once, register the password, connect with clear errors.

A `Database` is one side of a transfer. Its password never goes on a command
line: pg tools get a conninfo without it plus PGPASSWORD in their environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg import conninfo as pg_conninfo

from herokufly.base import child_env, masking
from herokufly.base.errors import DatabaseError

# Session settings that make text output identical on every side and version.
STABLE_OUTPUT = (
    "SET datestyle = 'ISO, MDY'; SET intervalstyle = 'postgres'; SET timezone = 'UTC';"
    " SET extra_float_digits = 1; SET bytea_output = 'hex';"
)


@dataclass(frozen=True)
class Database:
    role: str  # "source" or "target": used in messages
    url: str = field(repr=False)
    params: dict = field(repr=False, default_factory=dict)
    # Settings for every session, sent as SET statements (not as startup options, which
    # connection poolers such as PgBouncer refuse).
    session_settings: tuple[tuple[str, str], ...] = ()
    # Encoding pg tools speak (PGCLIENTENCODING); empty: libpq's choice.
    client_encoding: str = ""

    @classmethod
    def parse(cls, role: str, url: str) -> "Database":
        masking.register(url)
        try:
            params = pg_conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise DatabaseError(
                f"the {role} connection string is not valid: {masking.redact(str(exc))}",
                hint="Pass a URL like postgres://user:password@host:5432/dbname",
            ) from None
        if params.get("password"):
            masking.register(str(params["password"]))
        if not params.get("dbname"):
            raise DatabaseError(f"the {role} connection string names no database",
                                hint="Add /dbname to the end of the URL")
        return cls(role=role, url=url, params=params)

    @property
    def dbname(self) -> str:
        return str(self.params["dbname"])

    @property
    def display(self) -> str:
        host = self.params.get("host", "localhost")
        port = self.params.get("port", "5432")
        return f"{self.params.get('user', '')}@{host}:{port}/{self.dbname}"

    def tool_conninfo(self) -> str:
        """The conninfo for pg tools' -d: everything except the password."""
        safe = {k: v for k, v in self.params.items() if k != "password"}
        safe.setdefault("application_name", "herokufly")
        return pg_conninfo.make_conninfo(**safe)

    def tool_env(self) -> dict[str, str]:
        env = child_env.for_pg_tools()  # allow-listed, no PG*: never HEROKU_API_KEY, GITHUB_TOKEN, INPUT_*
        if self.params.get("password"):
            env["PGPASSWORD"] = str(self.params["password"])
        env["PGCONNECT_TIMEOUT"] = "15"
        if self.client_encoding:
            env["PGCLIENTENCODING"] = self.client_encoding
        return env

    def connect(self, *, autocommit: bool = True) -> psycopg.Connection:
        params = dict(self.params)
        params.setdefault("application_name", "herokufly")
        params.setdefault("connect_timeout", 15)
        try:
            conn = psycopg.connect(autocommit=autocommit, **params)
        except psycopg.OperationalError as exc:
            raise DatabaseError(describe_connect_error(self, exc)) from None
        if self.session_settings:
            conn.execute(self.session_sql())
            if not autocommit:
                conn.commit()
        return conn

    def session_sql(self) -> str:
        return " ".join(f"SET {name} = '{value}';" for name, value in self.session_settings)


def describe_connect_error(db: Database, exc: Exception) -> str:
    """One line saying why a connection failed and what to do."""
    text = masking.redact(str(exc)).strip().splitlines()
    # libpq: 'connection to server at "h", port 5432 failed: Connection refused' + hints
    detail = text[0].rsplit("failed: ", 1)[-1] if text else type(exc).__name__
    for line in text:
        if "password authentication failed" in line or "no password supplied" in line:
            return (f"the {db.role} database {db.display} refused the password: "
                    "check the password in the connection string")
        if "does not exist" in line and "database" in line:
            return f"the {db.role} database {db.display} does not exist: create it or fix the URL"
    lowered = " ".join(text).lower()
    if any(s in lowered for s in ("connection refused", "could not translate host", "timeout",
                                  "failed to resolve host", "name or service not known",
                                  "no route", "network is unreachable", "could not connect")):
        return (f"cannot reach the {db.role} database at {db.display} ({detail.strip()}): "
                "check the host and port and that the server is running")
    return f"cannot connect to the {db.role} database {db.display}: {detail.strip()}"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(schema: str, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}"
