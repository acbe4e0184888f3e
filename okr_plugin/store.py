"""The append-only goal-event store: idempotent append, numbering, rejections."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .backends import Backend, backend_for
from .events import GoalEvent, InvalidEvent, parse_json_line, utc_now, validate
from .schema import metadata, okr_events, okr_rejected_events
from .warehouse import translate

MAX_REASONS_SHOWN = 10
NUL_SHOWN = "\\u0000"  # how a rejected line's NUL characters are kept: PostgreSQL text has none


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
    problem: str | None = None  # why the line cannot be read (it is not UTF-8)


def decode_line(raw: bytes, offset: int) -> tuple[str, str | None]:
    """A line's text, and what is wrong with it when it is not UTF-8: then the text shows each
    byte that does not decode as \\xNN, and the problem names the first by its place in the
    file (`offset`: the line's first byte, counted from 0)."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as err:
        position = offset + err.start + 1
        return raw.decode("utf-8", errors="backslashreplace"), (
            f"not UTF-8 text: byte 0x{raw[err.start]:02x} (byte {position:,} of the file, counted"
            f" from 1) does not decode; the line is kept with such bytes written as \\xNN"
        )


def read_lines(source: str, handle: Iterable[bytes]) -> Iterator[Line]:
    """Numbered lines of a JSON-lines input (read as bytes; a line ends at LF, CRLF or a lone
    CR), without BOM and line ends; blank lines skipped. A line that is not UTF-8 comes with
    its problem: the others still count."""
    offset, line_no = 0, 0
    for chunk in handle:
        for raw in chunk.splitlines(keepends=True):
            line_no += 1
            text, problem = decode_line(raw, offset)
            offset += len(raw)
            line = text.lstrip("\ufeff") if line_no == 1 else text
            line = line.rstrip("\r\n")
            if line.strip():
                yield Line(source, line_no, line, problem)


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self.backend = backend_for(url)
        self.engine = self.backend.create_engine()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def init(self) -> None:
        """Create the event tables (and the backend's own, e.g. okr_access on PostgreSQL);
        running it again changes nothing."""
        try:
            metadata.create_all(self.engine, checkfirst=True)
            self.backend.init_extras(self.engine)
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
                if line.problem:
                    raise InvalidEvent(line.problem)
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
            with self.backend.one_writer(), self.engine.begin() as conn:
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
        # first: it locks the table
        next_seq = last_number(self.backend, conn, okr_events.c.sequence_no)
        known = _stored_hashes(conn, [event.event_id for _, event in parsed])
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
            self.backend.insert_rows(conn, okr_events, rows)
        result.accepted += len(rows)
        result.rejected = len(result.rejections)
        self._record_rejections(conn, "okr_events", result.rejections, now)

    def _record_rejections(
        self, conn: sa.Connection, stream: str, rejections: list[Rejection], now: datetime
    ) -> None:
        if not rejections:
            return
        first = last_number(self.backend, conn, okr_rejected_events.c.rejection_no)
        self.backend.insert_rows(
            conn,
            okr_rejected_events,
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


def last_number(backend: Backend, conn: sa.Connection, column: sa.Column[Any]) -> int:
    """The highest number yet of a strictly increasing column (sequence_no, rejection_no), from
    which a batch numbers its rows. The table is locked first, until the transaction ends, so
    that concurrent batches number one after the other and see each other's rows."""
    backend.lock_until_commit(conn, column.table.name)
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(column), 0))).scalar_one())


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
