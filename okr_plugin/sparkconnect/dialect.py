"""The SQLAlchemy dialect of `sc://` URLs (Spark Connect's own), over the driver module;
registered as the package's `sqlalchemy.dialects` entry point `sc`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import default
from sqlalchemy.sql import compiler

from ..errors import StoreError
from . import DEFAULT_PORT, driver


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
        return driver

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
