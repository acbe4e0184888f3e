"""The append-only event store (SQLAlchemy 2.0 Core): tables, idempotent append, rejections."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from .events import GoalEvent, InvalidEvent, parse_json_line, utc_now, validate
from .warehouse import create_engine, translate

MAX_REASONS_SHOWN = 10
NUL_SHOWN = "\\u0000"  # how a rejected line's NUL characters are kept: PostgreSQL text has none

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


# One row per expectation per run of the data-quality gate (quality.py).
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


@dataclass
class Rejection:
    source: str
    line_no: int | None
    raw_text: str
    reason: str
    event_id: str | None = None


@dataclass
class AppendResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)  # all, or the first few

    @property
    def total(self) -> int:
        return self.accepted + self.duplicates + self.rejected

    def summary(self, what: str = "events") -> str:
        return (
            f"{self.total} {what} in: {self.accepted} accepted, {self.duplicates} duplicate, "
            f"{self.rejected} rejected"
        )


@dataclass
class Line:
    source: str
    line_no: int
    text: str


def read_lines(source: str, handle: Iterable[str]) -> Iterator[Line]:
    """Numbered lines of a JSON-lines input, without BOM and line ends; blank lines skipped."""
    for line_no, raw in enumerate(handle, start=1):
        line = raw.lstrip("\ufeff") if line_no == 1 else raw
        line = line.rstrip("\r\n")
        if line.strip():
            yield Line(source, line_no, line)


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def init(self) -> None:
        """Create the event tables; running it again changes nothing."""
        try:
            metadata.create_all(self.engine, checkfirst=True)
        except sa.exc.DBAPIError as err:
            # Another process may have created them at the same moment: that is what we wanted.
            if not self._has_tables():
                raise translate(err, self.url) from None

    def _has_tables(self) -> bool:
        try:
            inspector = sa.inspect(self.engine)
            return all(inspector.has_table(name) for name in metadata.tables)
        except sa.exc.DBAPIError:
            return False

    def append(self, lines: Iterable[Line], now: datetime | None = None) -> AppendResult:
        """Validate and append goal events as one transaction: all of the batch or none of it."""
        now = now or utc_now()
        result = AppendResult()
        parsed: list[tuple[Line, GoalEvent]] = []
        for line in lines:
            event_id = None
            try:
                obj = parse_json_line(line.text)
                raw_id = obj.get("event_id")
                event_id = raw_id if isinstance(raw_id, str) else None
                parsed.append((line, validate(obj, now)))
            except InvalidEvent as err:
                result.rejections.append(
                    Rejection(line.source, line.line_no, line.text, str(err), event_id)
                )
        self.init()
        try:
            with self.engine.begin() as conn:
                self._append_in(conn, parsed, result, now)
        except sa.exc.DBAPIError as err:
            raise translate(err, self.url) from None
        return result

    def _append_in(
        self,
        conn: sa.Connection,
        parsed: list[tuple[Line, GoalEvent]],
        result: AppendResult,
        now: datetime,
    ) -> None:
        if conn.dialect.name == "postgresql":
            # Appends serialise on the table so sequence_no follows commit order.
            conn.execute(sa.text("lock table okr_events in share row exclusive mode"))
        known = _stored_hashes(conn, [event.event_id for _, event in parsed])
        next_seq: int = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(okr_events.c.sequence_no), 0))
        ).scalar_one()
        rows: list[dict[str, Any]] = []
        for line, event in parsed:
            stored = known.get(event.event_id)
            if stored == event.content_hash:
                result.duplicates += 1
            elif stored is not None:
                result.rejections.append(
                    Rejection(
                        line.source,
                        line.line_no,
                        line.text,
                        f"event_id {event.event_id!r} is already stored with different "
                        "content; a correction needs a new event_id",
                        event.event_id,
                    )
                )
            else:
                next_seq += 1
                known[event.event_id] = event.content_hash
                rows.append(
                    {
                        "event_id": event.event_id,
                        "event_type": event.event_type,
                        "client_id": event.client_id,
                        "entity_id": event.entity_id,
                        "occurred_at": event.occurred_at,
                        "recorded_at": event.recorded_at or now,
                        "actor": event.actor,
                        "payload": event.payload,
                        "sequence_no": next_seq,
                        "content_hash": event.content_hash,
                    }
                )
        if rows:
            conn.execute(okr_events.insert(), rows)
        result.accepted += len(rows)
        result.rejected = len(result.rejections)
        self._record_rejections(conn, "okr_events", result.rejections, now)

    @staticmethod
    def _record_rejections(
        conn: sa.Connection, stream: str, rejections: list[Rejection], now: datetime
    ) -> None:
        if not rejections:
            return
        first: int = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(okr_rejected_events.c.rejection_no), 0))
        ).scalar_one()
        conn.execute(
            okr_rejected_events.insert(),
            [
                {
                    "rejection_no": first + i,
                    "stream": stream,
                    "source": r.source,
                    "line_no": r.line_no,
                    "event_id": r.event_id,
                    "raw_text": r.raw_text.replace("\x00", NUL_SHOWN),
                    "reason": r.reason,
                    "rejected_at": now,
                }
                for i, r in enumerate(rejections, start=1)
            ],
        )

    def query(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(sa.text(sql), params))
        except sa.exc.DBAPIError as err:
            raise translate(err, self.url) from None


def _stored_hashes(conn: sa.Connection, event_ids: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    unique_ids = sorted(set(event_ids))
    for start in range(0, len(unique_ids), 1000):
        chunk = unique_ids[start : start + 1000]
        rows = conn.execute(
            sa.select(okr_events.c.event_id, okr_events.c.content_hash).where(
                okr_events.c.event_id.in_(chunk)
            )
        )
        found.update({row.event_id: row.content_hash for row in rows})
    return found
