"""A throwaway PostgreSQL server for the test session: initdb, start on a spare port, stop.

The server runs as the `postgres` user when the tests run as root (initdb refuses root), on
127.0.0.1 only, with fsync off: it starts in about a second and is deleted at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa


def _bindir() -> Path:
    """PostgreSQL's programs: $OKR_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin."""
    if os.environ.get("OKR_PG_BINDIR"):
        return Path(os.environ["OKR_PG_BINDIR"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
    )
    if not found:
        raise RuntimeError(
            "PostgreSQL server programs not found (initdb); install the postgresql package "
            "(.ci/run does) or set OKR_PG_BINDIR"
        )
    return Path(found[-1]).parent


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.base = Path(tempfile.mkdtemp(prefix="okr-pg-"))
        self.data = self.base / "data"
        self.port = spare_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, text=True)

    def start(self) -> PostgresServer:
        if self.as_root:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        )
        return self.resume()

    def resume(self) -> PostgresServer:
        """Start the server on its data (again, after halt())."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.base / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )
        return self

    def halt(self) -> None:
        """Stop the server at once (its sessions are cut), keeping its data."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        try:
            self.halt()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def require_password(self, role: str) -> None:
        """Make the server ask `role` for its password (scram-sha-256) on 127.0.0.1."""
        hba = self.data / "pg_hba.conf"
        rule = f"host all {role} 127.0.0.1/32 scram-sha-256\n"
        hba.write_text(rule + hba.read_text())
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "reload")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = f"okr_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'create database "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)
