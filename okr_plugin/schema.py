"""The tables okr writes (SQLAlchemy 2.0 Core): the append-only inputs and the gate's record.
`okr init` creates them; an ELT job that writes the inputs directly uses the same columns."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

okr_events = sa.Table(
    "okr_events",
    metadata,
    sa.Column("event_id", sa.String, primary_key=True),
    sa.Column("event_type", sa.String, nullable=False),
    sa.Column("client_id", sa.String, nullable=False),
    sa.Column("entity_id", sa.String, nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False, comment="business time, UTC"),
    sa.Column("recorded_at", sa.DateTime, nullable=False, comment="system time, UTC"),
    sa.Column("actor", sa.String),
    sa.Column("payload", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    sa.Column("sequence_no", sa.BigInteger, nullable=False, unique=True),
    sa.Column("content_hash", sa.String, nullable=False),
)

# Metric observations: high volume, typed columns. No primary key: the ingest deduplicates on
# event_id against what is stored, and a unique index would slow bulk appends on DuckDB.
okr_observations = sa.Table(
    "okr_observations",
    metadata,
    sa.Column("event_id", sa.String, nullable=False),
    sa.Column("client_id", sa.String, nullable=False),
    sa.Column("kpi_id", sa.String, nullable=False),
    sa.Column("observed_at", sa.DateTime, nullable=False, comment="when measured, UTC"),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("segment", sa.String),
    sa.Column("recorded_at", sa.DateTime, nullable=False, comment="system time, UTC"),
    sa.Column("sequence_no", sa.BigInteger, nullable=False),
)

okr_rejected_events = sa.Table(
    "okr_rejected_events",
    metadata,
    sa.Column("rejection_no", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("stream", sa.String, nullable=False),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("line_no", sa.BigInteger),
    sa.Column("event_id", sa.String),
    sa.Column("raw_text", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("rejected_at", sa.DateTime, nullable=False),
)


# One row per expectation per run of the data-quality gate (okr_plugin/gate).
okr_quality_results = sa.Table(
    "okr_quality_results",
    metadata,
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("run_at", sa.DateTime, nullable=False, comment="UTC"),
    sa.Column("suite", sa.String, nullable=False),
    sa.Column("table_name", sa.String, nullable=False),
    sa.Column("expectation", sa.String, nullable=False),
    sa.Column("column_name", sa.String),
    sa.Column("severity", sa.String, nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("element_count", sa.BigInteger),
    sa.Column("unexpected_count", sa.BigInteger),
    sa.Column("sample_ids", sa.Text, comment="a few offending ids, comma-separated"),
    sa.Column("details", sa.Text, comment="what went wrong when the check itself failed"),
)


# One row per input relation per run of the gate: which rows the run checked, and whether the
# run passed. The next run checks only the rows appended after the last passing run.
okr_quality_runs = sa.Table(
    "okr_quality_runs",
    metadata,
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("run_at", sa.DateTime, nullable=False, comment="UTC"),
    sa.Column("table_name", sa.String, nullable=False),
    sa.Column("full_scan", sa.Boolean, nullable=False, comment="every row checked"),
    sa.Column("after_sequence_no", sa.BigInteger, comment="rows above it checked"),
    sa.Column("through_sequence_no", sa.BigInteger, comment="...up to and with it"),
    sa.Column("after_recorded_at", sa.DateTime, comment="relations without sequence_no"),
    sa.Column("through_recorded_at", sa.DateTime, comment="latest recorded_at at the run"),
    sa.Column("rows_checked", sa.BigInteger, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False, comment="no critical failure in the run"),
)


# Who may read which client's rows of the marts, on PostgreSQL (okr access; okr_plugin.access).
# Kept apart from `metadata`: created on PostgreSQL only, where row-level security exists.
access_metadata = sa.MetaData()

okr_access = sa.Table(
    "okr_access",
    access_metadata,
    sa.Column("role_name", sa.String, nullable=False, comment="a database role, as written"),
    sa.Column("client_id", sa.String, comment="the client it may read; null: every client"),
    sa.Column("granted_at", sa.DateTime, nullable=False, comment="UTC"),
)

# A role reads its own grants only: the marts' policy (macros/okr_access.sql) reads this table
# as the querying role, so what a role may see there is what it may see in the marts. No column
# statistics: the planner's estimates would tell a role other roles' names and clients.
sa.event.listen(
    okr_access,
    "after_create",
    sa.DDL(  # type: ignore[no-untyped-call]
        "alter table okr_access alter column role_name set statistics 0,"
        " alter column client_id set statistics 0, alter column granted_at set statistics 0;"
        " alter table okr_access enable row level security;"
        " create policy okr_own_grants on okr_access for select using (exists ("
        "  select 1 from pg_catalog.pg_roles as r"
        "  where r.rolname = okr_access.role_name and pg_catalog.pg_has_role(r.oid, 'MEMBER')))"
    ),
)
