"""Throwaway PostgreSQL servers for tests: real servers, never mocks.

A server runs as the `postgres` OS user (initdb refuses root) on 127.0.0.1
with password auth, so URLs carry a real password like Heroku's do.
`PgServer.host()` uses the host's binaries; a `prefix` (e.g. a chroot
command) runs another version's binaries from a prepared root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

SUPERUSER = "postgres"
PASSWORD = "pg-test-pass-7Qz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres() -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"]
    return []


def host_bindir(major: int | None = None) -> str:
    base = "/usr/lib/postgresql"
    versions = sorted((int(v) for v in os.listdir(base) if v.isdigit()), reverse=True)
    if major is not None:
        versions = [v for v in versions if v == major]
    if not versions:
        raise RuntimeError(f"no PostgreSQL {major or ''} server binaries under {base}")
    return f"{base}/{versions[0]}/bin"


@dataclass
class PgServer:
    bindir: str
    prefix: list[str] = field(default_factory=list)  # e.g. ["chroot", ROOT]
    datadir_host: str = ""  # where the data dir is on this machine
    datadir: str = ""  # the same dir as the binaries see it (inside a chroot)
    port: int = 0
    major: int = 0

    def _run(self, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        cmd = self.prefix + _as_postgres() + list(args)
        return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)

    def start(self) -> "PgServer":
        self.port = self.port or free_port()
        pw_file = os.path.join(self.datadir_host + ".pw")
        with open(pw_file, "w") as fh:
            fh.write(PASSWORD + "\n")
        pg = pwd.getpwnam("postgres")
        os.chown(pw_file, pg.pw_uid, pg.pw_gid)
        os.makedirs(self.datadir_host, exist_ok=True)
        os.chown(self.datadir_host, pg.pw_uid, pg.pw_gid)
        pw_seen = self.datadir + ".pw"
        self._run(
            f"{self.bindir}/initdb", "-D", self.datadir, "-U", SUPERUSER, "--auth=scram-sha-256",
            f"--pwfile={pw_seen}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )
        conf = os.path.join(self.datadir_host, "postgresql.conf")
        with open(conf, "a") as fh:
            fh.write(
                "\nlisten_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                "unix_socket_directories = ''\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 60\nshared_buffers = 128MB\n"
                "max_wal_size = 2GB\n"
            )
        self._run(f"{self.bindir}/pg_ctl", "-D", self.datadir, "-l", self.datadir + "/server.log",
                  "-w", "-t", "60", "start")
        self.major = int(self.query("SHOW server_version_num")) // 10000
        return self

    def stop(self) -> None:
        self._run(f"{self.bindir}/pg_ctl", "-D", self.datadir, "-m", "immediate", "stop", check=False)

    def url(self, dbname: str = "postgres", user: str = SUPERUSER, password: str = PASSWORD) -> str:
        return f"postgres://{user}:{password}@127.0.0.1:{self.port}/{dbname}"

    def query(self, sql: str, dbname: str = "postgres") -> str:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            row = conn.execute(sql).fetchone()
            return "" if row is None else str(row[0])

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str) -> str:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_host_server(major: int | None = None) -> PgServer:
    """Start a server from the host's own PostgreSQL binaries."""
    tmp = tempfile.mkdtemp(prefix="herokufly-pg-")
    os.chmod(tmp, 0o755)
    datadir = os.path.join(tmp, "data")
    server = PgServer(bindir=host_bindir(major), datadir_host=datadir, datadir=datadir)
    return server.start()


def remove(server: PgServer) -> None:
    server.stop()
    time.sleep(0.1)
    shutil.rmtree(os.path.dirname(server.datadir_host), ignore_errors=True)
