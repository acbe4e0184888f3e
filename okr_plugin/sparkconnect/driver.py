"""A DB-API 2.0 module (PEP 249) over one Spark Connect session: SQLAlchemy's dialect for
`sc://` URLs takes this module as its driver."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

# pyspark warns on import that it was not tested with pandas 3; okr uses no pandas through it.
warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)

# DB-API 2.0 module attributes (PEP 249): SQLAlchemy takes this module as the driver.
apilevel = "2.0"
threadsafety = 1
paramstyle = "named"  # Spark SQL's own parameter markers are :name


class Warning(Exception):  # noqa: A001 - the name PEP 249 gives it
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


def driver_error(err: Exception) -> DatabaseError:
    """A pyspark error as a DB-API one: a server out of reach is operational, the rest is
    the statement's."""
    message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if type(err).__name__ in ("SparkConnectGrpcException", "RetriesExceeded"):
        return OperationalError(message)
    return ProgrammingError(message)


def _parameter(value: Any) -> Any:
    """A bound value as Spark takes it: a zone-less datetime is UTC (okr's convention), and
    Spark would read it in the client's local time zone."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _python_rows(table: Any) -> list[tuple[Any, ...]]:
    """The rows of an Arrow table; timestamps as zone-less UTC datetimes, as the other
    warehouses return them."""
    import pyarrow as pa

    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            column = column.cast(pa.timestamp(column.type.unit))  # the same instant, in UTC
        columns.append(column.to_pylist())
    return list(zip(*columns, strict=True)) if columns else []


class Cursor:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: list[tuple[Any, ...]] | None = None
        self.rowcount = -1
        self.arraysize = 1
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        args = {name: _parameter(value) for name, value in (parameters or {}).items()}
        try:
            table = self.connection.session.sql(sql, args=args or None).toArrow()
        except Exception as err:
            raise driver_error(err) from None
        if table.num_columns:
            self.description = [
                (field.name, str(field.type), None, None, None, None, True)
                for field in table.schema
            ]
            self._rows = _python_rows(table)
            self.rowcount = len(self._rows)
        else:
            self.description, self._rows, self.rowcount = None, [], -1

    def executemany(self, sql: str, seq_of_parameters: Sequence[dict[str, Any]]) -> None:
        for parameters in seq_of_parameters:
            self.execute(sql, parameters)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        size = size or self.arraysize
        found, self._rows = self._rows[:size], self._rows[size:]
        return found

    def fetchall(self) -> list[tuple[Any, ...]]:
        found, self._rows = self._rows, []
        return found

    def close(self) -> None:
        self._rows = []

    def setinputsizes(self, sizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass


class Connection:
    """One Spark Connect session, in UTC, in the warehouse's database (created if new)."""

    def __init__(self, remote: str, database: str) -> None:
        try:
            from pyspark.sql import SparkSession

            self.session = SparkSession.builder.remote(remote).create()
            self.session.conf.set("spark.sql.session.timeZone", "UTC")
            self.session.sql(f"create database if not exists `{database}`")
            self.session.catalog.setCurrentDatabase(database)
        except ImportError:
            raise InterfaceError(
                "Spark needs pyspark with Spark Connect: pip install 'okr_plugin[spark]'"
            ) from None
        except Exception as err:
            raise driver_error(err) from None

    def cursor(self) -> Cursor:
        return Cursor(self)

    def commit(self) -> None:
        pass  # no transactions: every statement and every write stands on its own

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        with suppress(Exception):  # a session the server already dropped is closed
            self.session.stop()


def connect(remote: str, database: str = "default") -> Connection:
    return Connection(remote, database)
