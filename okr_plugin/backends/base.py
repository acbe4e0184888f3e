"""What every warehouse offers okr, and what each does its own way: one subclass per warehouse
(duckdb, postgres, spark), chosen once from the URL by backends.backend_for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import sqlalchemy as sa

from ..errors import StoreError
from ..warehouse import display

# Prepare an observation batch in a DuckDB connection (returns the in-batch duplicates), then
# append the prepared batch through a connection to where okr_observations is (ingest.py).
Prepare = Callable[[Any], int]
Append = Callable[[sa.Connection], None]


@dataclass
class Published:
    """A snapshot okr publish wrote."""

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


class Backend:
    """One kind of warehouse, bound to one URL."""

    title: ClassVar[str]  # as messages name it
    adapter: ClassVar[str]  # the dbt adapter, and the prefix of dispatched macros
    # Why BI tools need no snapshot of the marts here (okr publish), or None: they do.
    publish_instead: ClassVar[str | None] = None
    # Why okr access cannot keep a role to its clients' rows here, or None: it can.
    access_instead: ClassVar[str | None] = (
        "okr access needs PostgreSQL (row-level security); on DuckDB publish a file per client:"
        " okr publish --client CLIENT --to FILE"
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.parsed = sa.make_url(url)

    # -- connections -----------------------------------------------------------------------

    def engine_options(self) -> dict[str, Any]:
        """create_engine() arguments; GX's connection takes the same."""
        return {}

    def create_engine(self) -> sa.Engine:
        try:
            return sa.create_engine(self.url, **self.engine_options())
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as err:
            raise StoreError(f"cannot open warehouse {display(self.url)}: {err}") from None

    def gx_url(self) -> str:
        """The URL Great Expectations connects with."""
        return self.url

    # -- the event tables ------------------------------------------------------------------

    def init_extras(self, engine: sa.Engine) -> None:
        """Tables okr init creates beside the event tables on this warehouse."""

    def lock_until_commit(self, conn: sa.Connection, table: str) -> None:
        """Make other writers of a table wait until this transaction ends (a warehouse with one
        writing process, or with one_writer, needs nothing)."""

    @contextmanager
    def one_writer(self) -> Iterator[None]:
        """One writing okr process at a time, where the warehouse's own locks do not do it."""
        yield

    def insert_rows(self, conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Rows into a table in one go."""
        conn.execute(table.insert(), rows)

    def append_observations(
        self, conn: sa.Connection, prepare: Prepare, append: Append, staged: dict[str, str]
    ) -> int:
        """An observation batch into the warehouse, in conn's transaction: prepare it in DuckDB,
        then append it; staged: the temporary tables prepare leaves, by name, with their column
        definitions. Returns the in-batch duplicates prepare counted."""
        raise NotImplementedError

    # -- dbt -------------------------------------------------------------------------------

    def dbt_profile(self) -> dict[str, Any]:
        """The dbt output that builds the models where the event tables are."""
        raise NotImplementedError

    def dbt_environment(self) -> dict[str, str]:
        """Environment variables of the dbt process."""
        return {}

    def release_dbt_connections(self) -> None:
        """In dbt's process, after each command: close what the dbt adapter keeps open between
        commands (dbt closes its connections itself)."""

    def lock_holders(self) -> str:
        """Who holds a lock on a mart, as a phrase (after a build's lock wait ran out)."""
        return "held by another session"

    # -- BI tools --------------------------------------------------------------------------

    def publish(self, to: str | None = None, client: str | None = None) -> Published:
        """A snapshot of the marts for BI tools (okr publish), where they need one."""
        raise StoreError(str(self.publish_instead))

    def superset_database(self, snapshot: str | None) -> tuple[str, dict[str, Any]]:
        """What Superset connects to (without a password: Superset keeps that in its own
        settings) and the database's engine parameters."""
        raise StoreError(f"okr bi superset supports DuckDB and PostgreSQL, not {display(self.url)}")
