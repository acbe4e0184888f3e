"""Apache Spark through Spark Connect (sparkconnect/): Parquet tables, no transactions, temp
tables or deletes. Writers take turns through a file lock on this machine, rows arrive as one
DataFrame write per table, and dbt-spark's session method builds the models."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ..events import json_text
from ..schema import okr_observations, okr_rejected_events
from ..settings import work_dir
from ..sparkconnect.dialect import database_of, remote_of
from ..sparkconnect.driver import driver_error
from .base import Append, Backend, Prepare
from .duckdb import DuckDB


class Spark(Backend):
    title = "Spark"
    adapter = "spark"
    publish_instead = (
        "nothing to publish on Spark: point BI tools at the cluster's SQL endpoint (Spark"
        " Thrift server, Databricks SQL); the marts are Parquet tables in the warehouse's database"
    )

    @contextmanager
    def one_writer(self) -> Iterator[None]:
        """A file lock per warehouse on this machine, waited for: Spark has no table locks."""
        with (work_dir(self.url) / "writer.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def insert_rows(self, conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """One DataFrame write (not one INSERT per row)."""
        import pyarrow as pa

        columns = {}
        for column in table.columns:
            values = [row.get(column.name) for row in rows]
            if isinstance(column.type, sa.JSON):
                values = [None if v is None else json_text(v) for v in values]
            columns[column.name] = pa.array(values, type=_arrow_type(column.type))
        _append_arrow(conn, table.name, pa.table(columns))

    def append_observations(
        self, conn: sa.Connection, prepare: Prepare, append: Append, staged: dict[str, str]
    ) -> int:
        """The batch is appended by the same SQL in a DuckDB mirror of what it touches (the
        stored rows with the batch's event ids), and the new rows and rejections then reach
        Spark in one DataFrame write per table."""
        mirror = DuckDB("duckdb:///:memory:").create_engine()
        try:
            with mirror.begin() as local:
                duck: Any = local.connection.driver_connection
                duplicates = prepare(duck)
                okr_observations.create(local)
                okr_rejected_events.create(local)
                ids = duck.sql("select distinct event_id from okr_ingest_candidates")
                session = _session(conn)
                session.createDataFrame(ids.to_arrow_table()).createOrReplaceTempView(
                    "okr_batch_ids"
                )
                stored = session.sql(
                    "select o.* from okr_observations as o"
                    " left semi join okr_batch_ids as b on o.event_id = b.event_id"
                ).toArrow()
                duck.register("okr_stored", stored)
                duck.execute("insert into okr_observations select * from okr_stored")
                # the new rows are numbered after the last stored ones, so after those here
                tables = ((okr_observations, "sequence_no"), (okr_rejected_events, "rejection_no"))
                last = {
                    table.name: duck.execute(
                        f"select coalesce(max({number}), 0) from {table.name}"
                    ).fetchone()[0]
                    for table, number in tables
                }
                append(local)
                for table, number in tables:
                    columns = ", ".join(c.name for c in table.columns)
                    new = duck.sql(
                        f"select {columns} from {table.name} where {number} > {last[table.name]:d}"
                        f" order by {number}"
                    ).to_arrow_table()
                    if new.num_rows:
                        _append_arrow(conn, table.name, new)
        finally:
            mirror.dispose()
        return duplicates

    def dbt_profile(self) -> dict[str, Any]:
        """dbt-spark's session method, whose session is the Spark Connect server of
        $SPARK_REMOTE (dbt_environment): the tables go to the session's database."""
        return {
            "type": "spark",
            "method": "session",
            "host": remote_of(self.url),
            "schema": database_of(self.url),
            # Spark runs the queries; most are small and wait on Connect and the scheduler, so
            # more threads than cores help (the demo's build: 79 s with 2, 61 s with 4)
            "threads": 4,
            "server_side_parameters": {"spark.sql.session.timeZone": "UTC"},
        }

    def dbt_environment(self) -> dict[str, str]:
        return {"SPARK_REMOTE": remote_of(self.url)}

    def release_dbt_connections(self) -> None:
        """dbt-spark's session method keeps the Spark Connect session of the first $SPARK_REMOTE
        it saw: stopped, the next command opens one on its own server."""
        from pyspark.errors import PySparkRuntimeError
        from pyspark.sql.connect.session import SparkSession

        try:
            session = SparkSession.active()
        except PySparkRuntimeError:  # dbt failed before it opened one
            return
        session.stop()


def _session(conn: sa.Connection) -> Any:
    """The Spark Connect session behind a connection."""
    return conn.connection.driver_connection.session  # type: ignore[union-attr]


def _append_arrow(conn: sa.Connection, table_name: str, data: Any) -> None:
    """An Arrow table into a Spark table, its columns in the table's order."""
    try:
        _session(conn).createDataFrame(data).write.insertInto(table_name)
    except Exception as err:
        raise sa.exc.DBAPIError(f"append to {table_name}", None, driver_error(err)) from None


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
