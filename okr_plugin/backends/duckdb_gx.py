"""GX's SQL datasource reads no rows through duckdb-engine: GX fetches after the connection
has closed, and DuckDB drops a pending result on the next statement. DuckDB warehouses are
read through the `okr_duckdb` dialect below, which buffers each result as soon as it is
executed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy

from ..settings import duckdb_memory_limit

_DuckDBContext: Any = DuckDBDialect.execution_ctx_cls


class _BufferedContext(_DuckDBContext):  # type: ignore[misc]
    """Fetches the whole result right after execution, before anything can discard it."""

    def post_exec(self) -> None:
        super().post_exec()
        if self.cursor.description is not None:
            self.cursor_fetch_strategy = FullyBufferedCursorFetchStrategy(
                self.cursor, self.cursor.description, self.cursor.fetchall()
            )


class BufferedDuckDBDialect(DuckDBDialect):
    """duckdb-engine with fully buffered results: the package's `sqlalchemy.dialects` entry
    point `okr_duckdb`."""

    execution_ctx_cls = _BufferedContext
    supports_statement_cache = False  # as duckdb-engine's; SQLAlchemy asks each class to say

    def on_connect(self) -> Any:
        """Cap DuckDB's memory as every other okr connection does."""
        parent = super().on_connect()

        def connect(connection: Any) -> None:
            if parent is not None:
                parent(connection)
            connection.execute(f"set memory_limit = '{duckdb_memory_limit()}'")

        return connect

    @property
    def dialect(self) -> type[sa.Dialect]:
        # GX picks its regex SQL by asking whether `dialect.dialect` is PostgreSQL's; DuckDB's
        # `~` and `!~` are PostgreSQL's regex search operators. (A property, so that SQLAlchemy's
        # registry does not take it for an entry point.)
        return postgresql.dialect
