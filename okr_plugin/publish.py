"""`okr publish`: a read-only snapshot of the marts for BI tools, swapped into place at once.

DuckDB allows one writing process per file, so a BI tool reading the warehouse itself would
block builds and be blocked by them. Instead the marts are copied into a new file (in the
storage version the DuckDB inside BI tools reads), which is then renamed over the previous
snapshot: a reader opens either the old file or the new one, never half of one, and a build
never waits for a reader. On PostgreSQL and Spark readers need no snapshot (see NOTHING_TO_PUBLISH).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from .errors import StoreError
from .resources import mart_names
from .settings import duckdb_storage_version
from .store import Store
from .warehouse import display, is_duckdb, sql_literal, translate

# Why a warehouse other than DuckDB needs no snapshot, by SQLAlchemy backend name.
NOTHING_TO_PUBLISH = {
    "postgresql": "nothing to publish on PostgreSQL: point BI tools at the warehouse itself."
    " Readers never see a half-built mart there: dbt builds each table under a temporary name"
    " and swaps it in within one transaction, and MVCC shows every reader the old table until"
    " that commits; give each client a role that reads its own rows (okr access grant)",
    "sc": "nothing to publish on Spark: point BI tools at the cluster's SQL endpoint (Spark"
    " Thrift server, Databricks SQL); the marts are Parquet tables in the warehouse's database",
}


def nothing_to_publish(url: str) -> str:
    backend = sa.make_url(url).get_backend_name()
    return NOTHING_TO_PUBLISH.get(backend, f"nothing to publish on {backend}")


@dataclass
class Published:
    path: Path
    tables: int
    rows: int
    seconds: float

    client: str | None = None

    def summary(self) -> str:
        whose = "" if self.client is None else f" of client {self.client!r}"
        return (
            f"published {self.tables} marts ({self.rows} rows{whose}) to {self.path}"
            f" in {self.seconds:.1f} s"
        )


def default_snapshot(url: str) -> Path:
    """Beside the warehouse: okr.duckdb publishes to okr.published.duckdb."""
    warehouse = Path(sa.make_url(url).database or "okr.duckdb")
    return warehouse.with_name(f"{warehouse.stem}.published.duckdb")


def publish(url: str, to: str | None = None, client: str | None = None) -> Published:
    """Copy every mart (only the rows of `client`, when given) into a new DuckDB file and
    rename it over `to` (default: beside the warehouse; a client's file needs `to`). The file
    is left read-only; the next publish replaces it."""
    if not is_duckdb(url):
        raise StoreError(nothing_to_publish(url))
    if client is not None and not to:
        raise StoreError("okr publish --client needs --to FILE: the file for that client")
    target = Path(to).expanduser().resolve() if to else default_snapshot(url)
    warehouse = Path(sa.make_url(url).database or "")
    if target == warehouse.resolve():
        raise StoreError(f"{target} is the warehouse itself: publish to another file")
    if not target.parent.is_dir():
        raise StoreError(f"cannot publish to {target}: folder {target.parent} does not exist")
    started = time.monotonic()
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    marts = mart_names()
    rows = 0
    try:
        with Store(url) as store, store.engine.connect() as conn:
            missing = [name for name in marts if not sa.inspect(conn).has_table(name)]
            if missing:
                raise StoreError(
                    f"{display(url)} has no {missing[0]} yet: run okr build, then okr publish"
                )
            duck: Any = conn.connection.driver_connection
            duck.execute(
                f"attach {sql_literal(str(partial))} as okr_snapshot"
                f" (storage_version {sql_literal(duckdb_storage_version())})"
            )
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
        if client is not None and not rows:
            raise StoreError(
                f"no rows of client {client!r} in the marts of {display(url)}: check the id"
                " (ids are case-sensitive); nothing was published"
            )
        partial.chmod(0o444)
        os.replace(partial, target)
    except (sa.exc.DBAPIError, duckdb.Error) as err:
        raise translate(err, url) from None
    except OSError as err:
        raise StoreError(f"cannot publish to {target}: {err.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Published(target, len(marts), rows, time.monotonic() - started, client)
