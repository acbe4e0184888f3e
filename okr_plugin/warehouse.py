"""The warehouse connection: engines, DuckDB's lock and settings, and driver errors turned
into one-line messages. Every difference between the warehouses (DuckDB, PostgreSQL, Spark)
at the connection level lives here."""

from __future__ import annotations

import fcntl
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from .errors import StoreError, WarehouseLocked
from .events import json_text
from .settings import duckdb_storage_version, lock_timeout, work_dir
from .spark import append_rows, is_spark


def is_duckdb(url: str) -> bool:
    return sa.make_url(url).get_backend_name() == "duckdb"


def dbt_adapter(dialect: str) -> str:
    """The dbt adapter (and macro prefix) for a SQLAlchemy dialect name."""
    return {"postgresql": "postgres"}.get(dialect, dialect)


def engine_options(url: str) -> dict[str, Any]:
    """create_engine() arguments for a warehouse: JSON values stored by json_text, and on
    DuckDB a file the engine creates gets the BI-readable storage version (an existing file
    keeps its own); every engine of one process must pass the same, since DuckDB refuses a
    second connection with other settings."""
    backend = sa.make_url(url).get_backend_name()
    if backend == "postgresql":
        return {"json_serializer": json_text}
    if backend != "duckdb":
        return {}
    return {
        "json_serializer": json_text,
        "connect_args": {"config": {"storage_compatibility_version": duckdb_storage_version()}},
    }


def is_locked(err: BaseException) -> bool:
    lowered = str(err).lower()
    return "could not set lock" in lowered or "conflicting lock" in lowered


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


def translate(err: Exception, url: str) -> StoreError:
    """Turn a driver error into one line that says what happened and what to do."""
    message = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
    if is_locked(err):
        return WarehouseLocked(
            f"the warehouse {display(url)} is in use by another process (waited"
            f" {lock_timeout():g} s, see OKR_LOCK_TIMEOUT); wait for it to finish (or close it)"
            " and run the command again"
        )
    return StoreError(f"warehouse error on {display(url)}: {message}")


def lock_until_commit(conn: sa.Connection, table: str) -> None:
    """Make other writers of a table wait until this transaction ends: PostgreSQL's table lock
    (readers go on). A DuckDB file has one writing process, which needs none."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"lock table {table} in share row exclusive mode"))


def insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Rows into a table in one go: one DataFrame write on Spark, one executemany elsewhere."""
    if conn.dialect.name == "spark":
        append_rows(conn, table, rows)
    else:
        conn.execute(table.insert(), rows)


@contextmanager
def one_writer(url: str) -> Iterator[None]:
    """One writing okr process at a time on a warehouse that has no table locks (Spark): a file
    lock per warehouse on this machine, waited for. Elsewhere the warehouse's own locks do it."""
    if not is_spark(url):
        yield
        return
    with (work_dir(url) / "writer.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sql_literal(text: str) -> str:
    """A text as an SQL string literal (for statements that take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


# A password given as a query parameter (psycopg takes password= and sslpassword=).
SECRET_PARAMETER = re.compile(r"(?i)\b((?:ssl)?password=)[^&]*")


def display(url: str) -> str:
    """The URL for messages, its password (in the address or as a query parameter) as ***:
    SQLAlchemy's reading of it, or, when that fails or takes part of the password for the
    host (an unescaped @ in it), the text up to its last @."""
    try:
        parsed: sa.URL | None = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        parsed = None
    if parsed is not None and "@" not in (parsed.host or ""):
        shown = parsed.render_as_string(hide_password=True)
    else:
        scheme, separator, rest = url.partition("://")
        userinfo, at, host = rest.rpartition("@")
        if separator and at:
            user, colon, _ = userinfo.partition(":")
            rest = f"{user}{':***' if colon else ''}@{host}"
        shown = f"{scheme}{separator}{rest}"
    return SECRET_PARAMETER.sub(r"\1***", shown)


def check_url(url: str) -> str:
    """The warehouse URL, or a one-line error when SQLAlchemy cannot read it."""
    try:
        sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise StoreError(
            f"cannot read the warehouse URL {display(url)}: write it like"
            " postgresql://user:password@host:5432/database, or give a DuckDB file"
        ) from None
    return url


def create_engine(url: str) -> sa.Engine:
    """An engine for the warehouse; on DuckDB it waits for another process's lock (up to
    lock_timeout()) instead of failing at once."""
    try:
        engine = sa.create_engine(url, **engine_options(url))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as err:
        raise StoreError(f"cannot open warehouse {display(url)}: {err}") from None
    if is_duckdb(url):
        sa.event.listen(engine, "do_connect", patient_connect)
    return engine
