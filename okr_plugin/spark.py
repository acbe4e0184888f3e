"""Apache Spark through Spark Connect (`sc://host:port`): a DB-API module and an SQLAlchemy
dialect over a Connect session, so that the store, the gate and the readers speak to Spark as
to any other warehouse; bulk appends as one DataFrame write per table; and a local Connect
server (`okr spark start`) for trying it on one machine.

Spark has no transactions: commit and rollback do nothing, and each DataFrame write is atomic
on its own (a Parquet job commits all its files or none). What that means for okr's batches
and numbering is said in DECISIONS.md.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, registry
from sqlalchemy.engine import default
from sqlalchemy.sql import compiler

from .errors import StoreError
from .events import json_text

DEFAULT_PORT = 15002
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


def _driver_error(err: Exception) -> DatabaseError:
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
            raise _driver_error(err) from None
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
            raise _driver_error(err) from None

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


class SparkTypeCompiler(compiler.GenericTypeCompiler):
    """Spark's names: STRING for every text (it refuses VARCHAR without a length), DOUBLE."""

    def visit_string(self, type_: Any, **kw: Any) -> str:
        return "STRING"

    visit_VARCHAR = visit_CHAR = visit_TEXT = visit_text = visit_unicode = visit_string
    visit_unicode_text = visit_NVARCHAR = visit_NCHAR = visit_CLOB = visit_string
    visit_JSON = visit_string

    def visit_float(self, type_: Any, **kw: Any) -> str:
        return "DOUBLE"

    visit_double = visit_DOUBLE = visit_FLOAT = visit_REAL = visit_DOUBLE_PRECISION = visit_float

    def visit_datetime(self, type_: Any, **kw: Any) -> str:
        return "TIMESTAMP"

    visit_DATETIME = visit_TIMESTAMP = visit_datetime


class SparkDDLCompiler(compiler.DDLCompiler):
    """Parquet tables: no keys or NOT NULL (Spark enforces neither on Parquet; the store and
    the gate do)."""

    def get_column_specification(self, column: Any, **kw: Any) -> str:
        return f"{self.preparer.format_column(column)} {self.type_compiler.process(column.type)}"

    def create_table_constraints(
        self, table: Any, _include_foreign_key_constraints: Any = None, **kw: Any
    ) -> str:
        return ""

    def post_create_table(self, table: Any) -> str:
        return " USING parquet"


class SparkIdentifierPreparer(compiler.IdentifierPreparer):
    def __init__(self, dialect: Any) -> None:
        super().__init__(dialect, initial_quote="`")


class SparkDialect(default.DefaultDialect):
    """SQLAlchemy over Spark Connect, registered for `sc://` URLs (Spark Connect's own)."""

    name = "spark"
    driver = "connect"
    supports_statement_cache = True
    default_paramstyle = "named"
    preparer = SparkIdentifierPreparer  # type: ignore[assignment]
    type_compiler_cls = SparkTypeCompiler
    ddl_compiler = SparkDDLCompiler
    supports_native_boolean = True
    supports_native_decimal = True
    supports_sequences = False
    supports_comments = False
    supports_multivalues_insert = True
    insert_returning = False
    postfetch_lastrowid = False

    @classmethod
    def import_dbapi(cls) -> Any:
        return sys.modules[__name__]

    @property
    def dialect(self) -> type[sa.Dialect]:
        # Great Expectations picks its regex SQL by the dialect's family: MySQL's `REGEXP` and
        # `NOT REGEXP` are Spark's too (Java regular expressions). A property, so that
        # SQLAlchemy's registry does not take it for an entry point.
        return mysql.dialect

    def create_connect_args(self, url: sa.URL) -> tuple[list[Any], dict[str, Any]]:
        return [remote_of(url), database_of(url)], {}

    def get_isolation_level(self, dbapi_connection: Any) -> Any:
        return "AUTOCOMMIT"

    def do_ping(self, dbapi_connection: Any) -> bool:
        return True

    def _rows(self, connection: Any, sql: str) -> list[Any]:
        return list(connection.exec_driver_sql(sql))

    def _in(self, schema: str | None) -> str:
        return f" in {self.identifier_preparer.quote(schema)}" if schema else ""

    def get_table_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        rows = self._rows(connection, "show tables" + self._in(schema))
        return [row.tableName for row in rows if not row.isTemporary]

    def get_view_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        return [row.viewName for row in self._rows(connection, "show views" + self._in(schema))]

    def has_table(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        # Spark's `show tables` lists views too: one statement (each costs a round trip)
        rows = self._rows(connection, "show tables" + self._in(schema))
        return table_name.lower() in (row.tableName.lower() for row in rows)

    def get_columns(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[Any]:
        name = self.identifier_preparer.quote(table_name)
        if schema:
            name = f"{self.identifier_preparer.quote(schema)}.{name}"
        columns = []
        for row in self._rows(connection, f"describe table {name}"):
            if not row.col_name or row.col_name.startswith("#"):
                break  # partition and detail sections follow the columns
            columns.append(
                {
                    "name": row.col_name,
                    "type": _SPARK_TYPES.get(row.data_type.split("(")[0], sa.types.NullType)(),
                    "nullable": True,
                    "default": None,
                }
            )
        return columns

    def get_pk_constraint(
        self, connection: Any, table_name: str, schema: Any = None, **kw: Any
    ) -> Any:
        return {"constrained_columns": [], "name": None}

    def get_foreign_keys(self, *args: Any, **kw: Any) -> list[Any]:
        return []

    def get_indexes(self, *args: Any, **kw: Any) -> list[Any]:
        return []


_SPARK_TYPES: dict[str, type[sa.types.TypeEngine[Any]]] = {
    "string": sa.String,
    "varchar": sa.String,
    "char": sa.String,
    "double": sa.Double,
    "float": sa.Float,
    "decimal": sa.Numeric,
    "bigint": sa.BigInteger,
    "int": sa.Integer,
    "smallint": sa.SmallInteger,
    "tinyint": sa.SmallInteger,
    "boolean": sa.Boolean,
    "timestamp": sa.DateTime,
    "timestamp_ntz": sa.DateTime,
    "date": sa.Date,
}

registry.register("sc", __name__, "SparkDialect")


def remote_of(url: str | sa.URL) -> str:
    """The Spark Connect address of a warehouse URL (`sc://host:port`)."""
    parsed = sa.make_url(url)
    return f"sc://{parsed.host or '127.0.0.1'}:{parsed.port or DEFAULT_PORT}"


def database_of(url: str | sa.URL) -> str:
    """The Spark database (schema) of a warehouse URL: `sc://host:port/name`, else default."""
    name = sa.make_url(url).database or "default"
    if not name.replace("_", "").isalnum():
        raise StoreError(f"a Spark database name has letters, digits and _ only, not {name!r}")
    return name


def is_spark(url: str) -> bool:
    return sa.make_url(url).get_backend_name() == "sc"


def append_rows(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Rows into a table in one DataFrame write (not one INSERT per row)."""
    import pyarrow as pa

    columns = {}
    for column in table.columns:
        values = [row.get(column.name) for row in rows]
        if isinstance(column.type, sa.JSON):
            values = [None if v is None else json_text(v) for v in values]
        columns[column.name] = pa.array(values, type=_arrow_type(column.type))
    append_arrow(conn, table.name, pa.table(columns))


def append_arrow(conn: sa.Connection, table_name: str, data: Any) -> None:
    """An Arrow table into a Spark table, its columns in the table's order."""
    session = conn.connection.driver_connection.session  # type: ignore[union-attr]
    try:
        session.createDataFrame(data).write.insertInto(table_name)
    except Exception as err:
        raise sa.exc.DBAPIError(f"append to {table_name}", None, _driver_error(err)) from None


def _arrow_type(type_: Any) -> Any:
    import pyarrow as pa

    if isinstance(type_, sa.DateTime):
        return pa.timestamp("us", tz="UTC")  # zone-less values are UTC
    if isinstance(type_, sa.BigInteger | sa.Integer):
        return pa.int64()
    if isinstance(type_, sa.Float):
        return pa.float64()
    if isinstance(type_, sa.Boolean):
        return pa.bool_()
    return pa.string()


# A local Spark Connect server, for trying okr on Spark on one machine.


def spark_home() -> Path:
    try:
        import pyspark
    except ImportError:
        raise StoreError(
            "Spark needs pyspark with Spark Connect: pip install 'okr_plugin[spark]'"
        ) from None
    return Path(pyspark.__file__).parent


def _server_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_home()),
        SPARK_LOG_DIR=str(folder / "logs"),
        SPARK_PID_DIR=str(folder),
        PYSPARK_PYTHON=sys.executable,
    )
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def start_server(folder: Path, port: int = DEFAULT_PORT, memory: str = "2g") -> str:
    """Start a Spark Connect server on 127.0.0.1 whose tables and metastore live in folder;
    return its URL once it answers. The UI is off and the session time zone UTC."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise StoreError("Spark needs Java 17 or later (e.g. Debian's openjdk-17-jre-headless)")
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    settings = {
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        # one machine: a few shuffle partitions a core, not a cluster's 200 (a build of the
        # demo takes a sixth less)
        "spark.sql.shuffle.partitions": str(4 * (os.cpu_count() or 1)),
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
    }
    command = [str(spark_home() / "sbin" / "start-connect-server.sh"), "--driver-memory", memory]
    for key, value in settings.items():
        command += ["--conf", f"{key}={value}"]
    done = subprocess.run(command, env=_server_env(folder), capture_output=True, text=True)
    if done.returncode != 0:
        raise StoreError(f"Spark Connect did not start: {done.stderr.strip() or done.stdout}")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return f"sc://127.0.0.1:{port}"
        if not any(folder.glob("*.pid")):
            break
        time.sleep(0.5)
    logs = sorted((folder / "logs").glob("*.out"))
    tail = logs[-1].read_text(errors="replace").strip().splitlines()[-1:] if logs else []
    stop_server(folder)
    raise StoreError(f"Spark Connect did not answer on port {port}: {' '.join(tail)}")


def stop_server(folder: Path) -> None:
    folder = folder.resolve()
    script = spark_home() / "sbin" / "stop-connect-server.sh"
    subprocess.run([str(script)], env=_server_env(folder), capture_output=True, check=False)


@contextmanager
def server(folder: Path, port: int = DEFAULT_PORT) -> Iterator[str]:
    url = start_server(folder, port)
    try:
        yield url
    finally:
        stop_server(folder)
