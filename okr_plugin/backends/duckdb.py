"""A DuckDB file: the embedded default. One writing process per file (a second waits for the
lock), and the BI-readable storage version on files okr creates.

BI tools read a published snapshot (okr publish): a BI tool reading the warehouse itself would
block builds and be blocked by them. The marts are copied into a new file (in the storage
version the DuckDB inside BI tools reads), which is then renamed over the previous snapshot: a
reader opens either the old file or the new one, never half of one, and a build never waits
for a reader."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from ..errors import StoreError
from ..events import json_text
from ..resources import mart_names
from ..settings import duckdb_memory_limit, duckdb_storage_version, lock_timeout
from ..warehouse import display, is_locked, sql_literal, translate
from .base import Append, Backend, Prepare, Published


def patient_connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
    """A DuckDB connection, waiting up to lock_timeout() for another process's lock to go."""
    deadline = time.monotonic() + lock_timeout()
    while True:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as err:
            if not is_locked(err) or time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


class DuckDB(Backend):
    title = "DuckDB"
    adapter = "duckdb"

    def engine_options(self) -> dict[str, Any]:
        """JSON values stored by json_text, and a file the engine creates gets the BI-readable
        storage version (an existing file keeps its own); every engine of one process must pass
        the same, since DuckDB refuses a second connection with other settings."""
        return {
            "json_serializer": json_text,
            "connect_args": {"config": {"storage_compatibility_version": duckdb_storage_version()}},
        }

    def create_engine(self) -> sa.Engine:
        """An engine that waits for another process's lock (up to lock_timeout()) instead of
        failing at once."""
        engine = super().create_engine()
        sa.event.listen(engine, "do_connect", patient_connect)
        return engine

    def gx_url(self) -> str:
        """Through okr_duckdb (duckdb_gx.py), which buffers each result for GX."""
        return self.parsed.set(drivername="okr_duckdb").render_as_string(hide_password=False)

    def append_observations(
        self, conn: sa.Connection, prepare: Prepare, append: Append, staged: dict[str, str]
    ) -> int:
        """The batch is prepared in the warehouse's own connection: its temp tables are there."""
        duplicates = prepare(conn.connection.driver_connection)
        append(conn)
        return duplicates

    def dbt_profile(self) -> dict[str, Any]:
        if not self.parsed.database or self.parsed.database == ":memory:":
            raise StoreError("dbt needs a DuckDB file: use --warehouse path/to/okr.duckdb")
        return {
            "type": "duckdb",
            "path": self.parsed.database,
            "schema": "main",
            "threads": 2,
            "settings": {"memory_limit": duckdb_memory_limit()},
        }

    def release_dbt_connections(self) -> None:
        """dbt-duckdb keeps its database open between commands: closed, the file is free."""
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        try:
            opened = DuckDBConnectionManager.env()
        except Exception:  # dbt failed before it opened the file
            return
        opened.close()  # type: ignore[no-untyped-call]
        DuckDBConnectionManager.close_all_connections()  # type: ignore[no-untyped-call]

    def publish(self, to: str | None = None, client: str | None = None) -> Published:
        """Copy every mart (only the rows of `client`, when given) into a new DuckDB file and
        rename it over `to` (default: beside the warehouse; a client's file needs `to`). The
        file is left read-only; the next publish replaces it."""
        if client is not None and not to:
            raise StoreError("okr publish --client needs --to FILE: the file for that client")
        target = self.snapshot_path(to)
        if target == Path(self.parsed.database or "").resolve():
            raise StoreError(f"{target} is the warehouse itself: publish to another file")
        if not target.parent.is_dir():
            raise StoreError(f"cannot publish to {target}: folder {target.parent} does not exist")
        started = time.monotonic()
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        marts = mart_names()
        engine = self.create_engine()
        try:
            with engine.connect() as conn:
                rows = self._copy_marts(conn, marts, partial, client)
            if client is not None and not rows:
                raise StoreError(
                    f"no rows of client {client!r} in the marts of {display(self.url)}: check the"
                    " id (ids are case-sensitive); nothing was published"
                )
            partial.chmod(0o444)
            os.replace(partial, target)
        except (sa.exc.DBAPIError, duckdb.Error) as err:
            raise translate(err, self.url) from None
        except OSError as err:
            raise StoreError(f"cannot publish to {target}: {err.strerror}") from None
        finally:
            engine.dispose()
            partial.unlink(missing_ok=True)
        return Published(target, len(marts), rows, time.monotonic() - started, client)

    def _copy_marts(
        self, conn: sa.Connection, marts: list[str], partial: Path, client: str | None
    ) -> int:
        """The marts into the new file, in one transaction; returns the rows copied."""
        missing = [name for name in marts if not sa.inspect(conn).has_table(name)]
        if missing:
            raise StoreError(
                f"{display(self.url)} has no {missing[0]} yet: run okr build, then okr publish"
            )
        duck: Any = conn.connection.driver_connection
        duck.execute(
            f"attach {sql_literal(str(partial))} as okr_snapshot"
            f" (storage_version {sql_literal(duckdb_storage_version())})"
        )
        rows = 0
        try:
            rows_of = "" if client is None else " where client_id = $client"
            for name in marts:
                duck.execute(
                    f"create table okr_snapshot.main.{name} as select * from {name}{rows_of}",
                    {} if client is None else {"client": client},
                )
                count = duck.execute(f"select count(*) from okr_snapshot.main.{name}")
                rows += int(count.fetchone()[0])
            conn.commit()
        finally:
            conn.rollback()  # after a failure; nothing to undo after the commit
            duck.execute("detach okr_snapshot")  # writes the file out and closes it
        return rows

    def snapshot_path(self, to: str | None) -> Path:
        """Where okr publish writes: `to`, else beside the warehouse (okr.duckdb publishes to
        okr.published.duckdb)."""
        if to:
            return Path(to).expanduser().resolve()
        warehouse = Path(self.parsed.database or "okr.duckdb")
        return warehouse.with_name(f"{warehouse.stem}.published.duckdb")

    def superset_database(self, snapshot: str | None) -> tuple[str, dict[str, Any]]:
        """The published snapshot, read-only: the next okr publish replaces it, never writes it
        in place."""
        path = self.snapshot_path(snapshot)
        return f"duckdb:///{path}", {"connect_args": {"read_only": True}}
