"""A PostgreSQL server: table locks order the writers, an observation batch arrives by COPY, a
build waits a bounded time for each mart's lock, and row-level security keeps each client's
role to its rows (okr access)."""

from __future__ import annotations

import getpass
import os
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..events import json_text
from ..resources import mart_names
from ..schema import access_metadata
from ..settings import lock_timeout
from ..warehouse import sql_literal, translate
from .base import Append, Backend, Prepare


class PostgreSQL(Backend):
    title = "PostgreSQL"
    adapter = "postgres"
    publish_instead = (
        "nothing to publish on PostgreSQL: point BI tools at the warehouse itself. Readers never"
        " see a half-built mart there: dbt builds each table under a temporary name and swaps it"
        " in within one transaction, and MVCC shows every reader the old table until that"
        " commits; give each client a role that reads its own rows (okr access grant)"
    )
    access_instead = None

    def engine_options(self) -> dict[str, Any]:
        return {"json_serializer": json_text}

    def init_extras(self, engine: sa.Engine) -> None:
        """okr_access, the grants of okr access."""
        access_metadata.create_all(engine, checkfirst=True)

    def lock_until_commit(self, conn: sa.Connection, table: str) -> None:
        """The table lock: other writers wait, readers go on."""
        conn.execute(sa.text(f"lock table {table} in share row exclusive mode"))

    def append_observations(
        self, conn: sa.Connection, prepare: Prepare, append: Append, staged: dict[str, str]
    ) -> int:
        """The batch is prepared in an in-memory DuckDB, and its staged tables reach temp tables
        of conn's transaction by COPY of a CSV that DuckDB writes."""
        import duckdb
        import psycopg

        with duckdb.connect() as duck:
            duplicates = prepare(duck)
            raw: Any = conn.connection.driver_connection  # psycopg's own connection, for COPY
            with tempfile.TemporaryDirectory(prefix="okr-ingest-") as folder:
                for table, definitions in staged.items():
                    conn.exec_driver_sql(
                        f"create temp table {table} ({definitions}) on commit drop"
                    )
                    columns = ", ".join(d.split()[0] for d in definitions.split(","))
                    path = Path(folder) / f"{table}.csv"
                    # force_quote: every text is quoted, so an unquoted empty field is a NULL.
                    duck.execute(
                        f"copy (select {columns} from {table}) to {sql_literal(str(path))}"
                        " (format csv, header false, force_quote *)"
                    )
                    copy_sql = f"copy {table} ({columns}) from stdin (format csv)"
                    try:
                        with (
                            raw.cursor() as cursor,
                            path.open("rb") as handle,
                            cursor.copy(copy_sql) as copy,
                        ):
                            while block := handle.read(1 << 20):
                                copy.write(block)
                    except psycopg.Error as err:  # psycopg's own: COPY's raw connection
                        raise sa.exc.DBAPIError(copy_sql, None, err) from None
        append(conn)
        return duplicates

    def dbt_profile(self) -> dict[str, Any]:
        return {
            "type": "postgres",
            "host": self.parsed.host or "localhost",
            "port": self.parsed.port or 5432,
            "user": self.parsed.username or os.environ.get("PGUSER") or getpass.getuser(),
            "password": self.parsed.password or os.environ.get("PGPASSWORD", ""),
            "dbname": self.parsed.database or "postgres",
            "schema": "public",
            "threads": 4,
        }

    def dbt_environment(self) -> dict[str, str]:
        """The lock timeout: a build waits OKR_LOCK_TIMEOUT seconds for each table lock (a client
        reading a mart in a transaction left open holds up the swap of its new table)."""
        options = os.environ.get("PGOPTIONS", "")
        # 0 would mean "wait forever" to PostgreSQL: at least a millisecond
        milliseconds = max(1, round(lock_timeout() * 1000))
        return {"PGOPTIONS": f"{options} -c lock_timeout={milliseconds}".strip()}

    def lock_holders(self) -> str:
        """Who holds a lock on a mart, as a phrase: "role 'x' (idle in transaction)"."""
        engine = self.create_engine()
        try:
            with engine.connect() as conn:
                found = conn.execute(
                    sa.text(
                        "select distinct a.usename, a.state from pg_catalog.pg_locks as l"
                        " inner join pg_catalog.pg_stat_activity as a on a.pid = l.pid"
                        " inner join pg_catalog.pg_class as c on c.oid = l.relation"
                        " where l.granted and l.pid <> pg_catalog.pg_backend_pid()"
                        " and c.relnamespace = pg_catalog.to_regnamespace(current_schema())"
                        " and c.relname = any(:marts) order by 1, 2"
                    ),
                    {"marts": mart_names()},
                ).all()
        except sa.exc.DBAPIError as err:
            raise translate(err, self.url) from None
        finally:
            engine.dispose()
        if not found:
            return "held by a session that has let go since"
        roles = (f"role {name!r} ({state or 'state not shown'})" for name, state in found)
        return "held by " + ", ".join(roles)

    def superset_database(self, snapshot: str | None) -> tuple[str, dict[str, Any]]:
        """The warehouse itself."""
        p = self.parsed
        without_password = sa.engine.URL.create(
            "postgresql", p.username, None, p.host, p.port, p.database, p.query
        )
        return without_password.render_as_string(hide_password=False), {}
