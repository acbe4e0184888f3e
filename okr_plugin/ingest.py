"""Metric observations in bulk: DuckDB reads and validates the files, the warehouse appends.

Nothing here loops over rows in Python. DuckDB parses each file (CSV, Parquet, JSON lines)
into text columns, one SQL statement validates every row and derives missing event ids, and
the rows then reach the warehouse in bulk: inside the same DuckDB connection when the
warehouse is DuckDB, by COPY when it is PostgreSQL. The append itself (duplicates against
what is stored, conflicts, sequence numbers, rejections) is one SQL script that runs on
either engine, in one transaction.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from .errors import StoreError
from .events import FUTURE_REASON, MAX_ID, NUL_REASON, YEARS, utc_now
from .settings import duckdb_memory_limit
from .store import NUL_SHOWN, AppendResult, Rejection, Store
from .warehouse import sql_literal, translate

COLUMNS = (
    "event_id",
    "client_id",
    "kpi_id",
    "observed_at",
    "value",
    "source",
    "segment",
    "recorded_at",
)
REQUIRED = ("client_id", "kpi_id", "observed_at", "value")
DEFAULT_SOURCE = "manual"
FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
CANDIDATE_COLUMNS = (*COLUMNS, "source_file", "line_no", "batch_position")
FACT = ("client_id", "kpi_id", "observed_at", "value", "source", "segment")  # what an id names
# what a person sees of a candidate row c that conflicts with another of the same event_id
CONFLICT_TEXT = (
    "concat_ws(',', c.event_id, c.client_id, c.kpi_id, cast(c.observed_at as varchar),"
    " cast(c.value as varchar), c.source, c.segment)"
)
REJECTION_COLUMNS = ("source_file", "line_no", "event_id", "raw_text", "reason")


@dataclass
class InputFile:
    number: int
    path: Path
    name: str  # as the user gave it, for messages and okr_rejected_events.source
    kind: str


def input_files(names: list[str]) -> list[InputFile]:
    files = []
    for number, name in enumerate(names, start=1):
        path = Path(name)
        if not path.is_file():
            raise StoreError(f"{name}: no such file")
        kind = FORMATS.get(path.suffix.lower())
        if kind is None:
            raise StoreError(
                f"{name}: unknown format {path.suffix or '(no extension)'}; "
                "use .csv, .parquet or .jsonl"
            )
        files.append(InputFile(number, path.resolve(), name, kind))
    return files


class Reader:
    """Loads files into the DuckDB temp table okr_ingest_rows, all columns as text."""

    def __init__(self, duck: Any) -> None:
        self.duck = duck
        duck.execute("set TimeZone = 'UTC'")
        duck.execute(f"set memory_limit = {sql_literal(duckdb_memory_limit())}")
        duck.execute(
            "create or replace temp table okr_ingest_rows ("
            " file_no integer, source_file varchar, line_no bigint, raw_text varchar,"
            " problem varchar, " + ", ".join(f"{c} varchar" for c in COLUMNS) + ")"
        )

    def load(self, file: InputFile) -> None:
        try:
            getattr(self, f"_load_{file.kind}")(file)
        except duckdb.Error as err:
            first = str(err).strip().splitlines()[0]
            raise StoreError(f"{file.name}: cannot read it as {file.kind} ({first})") from None

    def _insert(self, file: InputFile, select_sql: str, params: list[Any] | None = None) -> None:
        self.duck.execute(
            "insert into okr_ingest_rows (file_no, source_file, line_no, raw_text, problem, "
            + ", ".join(COLUMNS)
            + f") select {file.number}, {sql_literal(file.name)}, * from ({select_sql})",
            params or [],
        )

    @staticmethod
    def _columns_check(present: list[str]) -> str:
        """SQL for the problem of a file whose columns are not the observation columns."""
        unknown = [c for c in present if c not in COLUMNS]
        if unknown:
            return sql_literal(
                f"unknown column {unknown[0]!r}; an observation has {', '.join(COLUMNS)}"
            )
        return "null"

    def _load_csv(self, file: InputFile) -> None:
        path = sql_literal(str(file.path))
        self.duck.execute(
            "create or replace temp table okr_csv_records as"
            " select row_number() over () as record_no, *"
            f" from read_csv({path}, all_varchar = true, header = true, store_rejects = true,"
            " rejects_table = 'okr_csv_rejects', rejects_scan = 'okr_csv_scans')"
        )
        present = [row[0] for row in self.duck.execute("describe okr_csv_records").fetchall()]
        present = [c for c in present if c != "record_no"]
        structural = self.duck.execute("select count(*) from okr_csv_rejects").fetchone()[0]
        records = self.duck.execute("select count(*) from okr_csv_records").fetchone()[0]
        line_of = "record_no + 1"
        if structural or _physical_lines(file.path) != records + 1:
            # Blank lines or broken rows shift records against lines: number the lines.
            self._number_lines(file)
            line_of = "(select line_no from okr_data_lines d where d.record_no = r.record_no)"
        picked = ", ".join((f'r."{c}"' if c in present else "null") + f" as {c}" for c in COLUMNS)
        problem = self._columns_check(present)
        # raw_text stays null for parsed records: a rejection renders it from the fields
        self._insert(
            file,
            f"select {line_of}, null, {problem}, {picked} from okr_csv_records r",
        )
        self._insert(
            file,
            "select line, csv_line, 'the line does not parse as CSV: ' || error_message, "
            + ", ".join("null" for _ in COLUMNS)
            # DuckDB reports a short line once per missing column: the first error speaks for it
            + " from okr_csv_rejects qualify row_number() over ("
            "   partition by line order by column_idx nulls first, error_message) = 1",
        )
        self.duck.execute("drop table okr_csv_rejects; drop table okr_csv_scans")

    def _number_lines(self, file: InputFile) -> None:
        """okr_data_lines: the line number of each good CSV record, from the file's lines."""
        self.duck.execute(
            "create or replace temp table okr_data_lines as"
            " select row_number() over (order by line_no) as record_no, line_no from ("
            "  select unnest(generate_series(1, len(lines))) as line_no, unnest(lines) as raw"
            f"  from (select string_split(content, chr(10)) as lines"
            f"        from read_text({sql_literal(str(file.path))}))"
            " ) as physical"
            " where line_no > 1 and trim(raw, chr(13) || ' ') <> ''"
            "   and line_no not in (select line from okr_csv_rejects)"
        )

    def _load_jsonl(self, file: InputFile) -> None:
        lines = (
            "select line_no, rtrim(case when line_no = 1 then ltrim(raw, chr(65279)) else raw"
            " end, chr(13)) as raw from ("
            " select unnest(generate_series(1, len(lines))) as line_no, unnest(lines) as raw"
            f" from (select string_split(content, chr(10)) as lines"
            f"       from read_text({sql_literal(str(file.path))})))"
        )
        keys = ", ".join(sql_literal(c) for c in COLUMNS)
        problem = (
            "case"
            " when not json_valid(raw) then 'not valid JSON'"
            " when json_type(raw::json) <> 'OBJECT' then 'an observation must be a JSON object'"
            f" when len(list_filter(json_keys(raw::json), lambda k: k not in ({keys}))) > 0 then"
            "  'unknown field ' || list_filter(json_keys(raw::json), lambda k: k not in ("
            + keys
            + f"))[1] || '; an observation has {', '.join(COLUMNS)}'"
            " when json_type(raw::json, '$.value') not in"
            "  ('DOUBLE', 'BIGINT', 'UBIGINT', 'INTEGER', 'NULL')"
            "  then 'value must be a JSON number'"
            " end"
        )
        picked = ", ".join(
            f"case when json_valid(raw) then json_extract_string(raw, '$.{c}') end as {c}"
            for c in COLUMNS
        )
        self._insert(
            file,
            f"select line_no, raw, {problem}, {picked} from ({lines}) where trim(raw) <> ''",
        )

    def _load_parquet(self, file: InputFile) -> None:
        path = sql_literal(str(file.path))
        present = [
            row[0]
            for row in self.duck.execute(f"describe select * from read_parquet({path})").fetchall()
        ]
        picked = ", ".join(
            (f'cast("{c}" as varchar)' if c in present else "null") + f" as {c}" for c in COLUMNS
        )
        self._insert(
            file,
            f"select file_row_number + 1, null, {self._columns_check(present)}, {picked}"
            f" from read_parquet({path}, file_row_number = true)",
        )


def _physical_lines(path: Path) -> int:
    """Lines in a file (a last line without a newline counts), counted in 1 MiB blocks."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def _validate(duck: Any, now: datetime) -> None:
    """okr_ingest_checked: typed rows with the first reason each fails, if any, and event ids
    derived from content where the file has none."""
    # A zone-less text parses in UTC; the plain formats go through a fast strptime first.
    ts = (
        "coalesce(try_strptime({0}, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d']),"
        " cast(try_cast({0} as timestamptz) at time zone 'UTC' as timestamp))"
    )
    now_literal = sql_literal(now.isoformat(sep=" "))
    duck.execute(
        f"""
        create or replace temp view okr_ingest_typed as
        select
            file_no, source_file, line_no, raw_text, problem,
            nullif(trim(event_id), '') as event_id,
            nullif(trim(client_id), '') as client_id,
            nullif(trim(kpi_id), '') as kpi_id,
            observed_at as observed_at_text,
            {ts.format("nullif(trim(observed_at), '')")} as observed_at,
            value as value_text,
            try_cast(trim(value) as double) as value,
            coalesce(nullif(trim(source), ''), '{DEFAULT_SOURCE}') as source,
            nullif(trim(segment), '') as segment,
            recorded_at as recorded_at_text,
            {ts.format("nullif(trim(recorded_at), '')")} as recorded_at
        from okr_ingest_rows
        """
    )
    reasons = [
        ("problem is not null", "problem"),
        (
            "contains(concat_ws('|', event_id, client_id, kpi_id, observed_at_text, value_text,"
            " source, segment, recorded_at_text), chr(0))",
            sql_literal(f"a field {NUL_REASON}"),
        ),
        *(
            (
                f"{c} is null and nullif(trim(coalesce({c}_text, '')), '') is null",
                f"'{c} is required'",
            )
            for c in ("observed_at", "value")
        ),
        ("client_id is null", "'client_id is required'"),
        ("kpi_id is null", "'kpi_id is required'"),
        (
            "observed_at is null",
            "'observed_at ' || observed_at_text || ' is not a timestamp"
            " (ISO 8601, e.g. 2026-07-01 or 2026-07-01T09:00:00Z)'",
        ),
        (
            f"year(observed_at) not between {YEARS[0]} and {YEARS[1]}",
            "'observed_at ' || observed_at_text || ' is out of range'",
        ),
        ("value is null", "'value ' || value_text || ' is not a number'"),
        ("not isfinite(value)", "'value ' || value_text || ' is not a finite number'"),
        (
            "recorded_at is null and recorded_at_text is not null and trim(recorded_at_text) <> ''",
            "'recorded_at ' || recorded_at_text || ' is not a timestamp'",
        ),
        (
            f"recorded_at > cast({now_literal} as timestamp)",
            "'recorded_at ' || recorded_at_text || " + sql_literal(f" {FUTURE_REASON}"),
        ),
        (
            f"greatest(length(event_id), length(client_id), length(kpi_id)) > {MAX_ID}",
            f"'ids are at most {MAX_ID} characters'",
        ),
    ]
    reason_sql = "case " + " ".join(f"when {w} then {r}" for w, r in reasons) + " end"
    derived_id = (
        "'obs_' || md5(concat_ws('|', client_id, kpi_id, strftime(observed_at,"
        " '%Y-%m-%dT%H:%M:%S.%f'), cast(value as varchar), source, coalesce(segment, '')))"
    )
    duck.execute(
        f"""
        create or replace temp table okr_ingest_checked as
        with checked as (
            select *, {reason_sql} as reason from okr_ingest_typed
        )
        select
            * exclude (event_id, raw_text),
            case when reason is null then coalesce(event_id, {derived_id})
                else replace(event_id, chr(0), {sql_literal(NUL_SHOWN)}) end as event_id,
            -- what a person sees of a rejected row: its line, or its fields
            case when reason is not null then replace(coalesce(raw_text, cast(to_json({{
                'event_id': event_id, 'client_id': client_id, 'kpi_id': kpi_id,
                'observed_at': observed_at_text, 'value': value_text, 'source': source,
                'segment': segment, 'recorded_at': recorded_at_text}}) as varchar)),
                chr(0), {sql_literal(NUL_SHOWN)}) end as raw_text
        from checked
        """
    )
    duck.execute("drop view okr_ingest_typed; drop table okr_ingest_rows")  # memory, at 10M rows


def _fact(prefix: str) -> str:
    return "(" + ", ".join(prefix + column for column in FACT) + ")"


def _split(duck: Any, now: datetime) -> int:
    """Candidates and rejections of the batch (DuckDB temp tables); returns the number of
    in-batch duplicates. The first row of an event_id in the batch is its candidate; a later
    row with the same content is a duplicate, with other content a conflict."""
    now_literal = sql_literal(now.isoformat(sep=" "))
    fact = _fact("checked.")
    duck.execute(
        f"""
        create or replace temp table okr_ingest_repeats as
        with repeated as (
            select event_id from okr_ingest_checked where reason is null
            group by event_id having count(*) > 1
        )
        select
            checked.file_no, checked.line_no, checked.event_id,
            row_number() over same_id > 1 as is_repeat,
            {fact} is not distinct from first_value({fact}) over same_id as same_as_first
        from okr_ingest_checked as checked
        inner join repeated on checked.event_id = repeated.event_id
        where checked.reason is null
        window same_id as (
            partition by checked.event_id order by checked.file_no, checked.line_no
            rows between unbounded preceding and unbounded following
        )
        """
    )
    # batch_position: the line's place in the batch (files in the order given), so that
    # sequence numbers follow the files without sorting the batch (gaps are harmless)
    duck.execute(
        f"""
        create or replace temp table okr_ingest_candidates as
        with file_offsets as (
            select
                file_no,
                coalesce(sum(max(line_no)) over (
                    order by file_no rows between unbounded preceding and 1 preceding), 0)
                    as line_offset
            from okr_ingest_checked group by file_no
        )
        select
            event_id, client_id, kpi_id, observed_at, value, source, segment,
            coalesce(recorded_at, cast({now_literal} as timestamp)) as recorded_at,
            source_file, line_no, line_no + file_offsets.line_offset as batch_position
        from okr_ingest_checked as checked
        inner join file_offsets using (file_no)
        where reason is null and not exists (
            select 1 from okr_ingest_repeats as r
            where r.is_repeat and r.file_no = checked.file_no and r.line_no = checked.line_no
        )
        """
    )
    duck.execute(
        f"""
        create or replace temp table okr_ingest_rejections as
        select source_file, line_no, event_id, raw_text, reason
        from okr_ingest_checked where reason is not null
        union all
        select c.source_file, c.line_no, c.event_id, {CONFLICT_TEXT},
            'event_id ' || c.event_id || ' appears earlier in this batch with different content'
        from okr_ingest_checked as c
        inner join okr_ingest_repeats as r on r.file_no = c.file_no and r.line_no = c.line_no
        where r.is_repeat and not r.same_as_first
        """
    )
    repeats = duck.execute(
        "select count(*) from okr_ingest_repeats where is_repeat and same_as_first"
    ).fetchone()[0]
    duck.execute("drop table okr_ingest_repeats; drop table okr_ingest_checked")
    return int(repeats)


APPEND_SCRIPT = """
create temp table okr_ingest_matches as
select c.event_id, {stored_fact} is not distinct from {batch_fact} as is_same
from okr_ingest_candidates as c
inner join okr_observations as o on o.event_id = c.event_id;

insert into okr_ingest_rejections (source_file, line_no, event_id, raw_text, reason)
select c.source_file, c.line_no, c.event_id, {conflict_text},
    'event_id ' || c.event_id || ' is already stored with different content;'
    || ' a correction needs a new event_id (or none: one is derived from the content)'
from okr_ingest_candidates as c
inner join okr_ingest_matches as m on m.event_id = c.event_id
where not m.is_same;

insert into okr_observations (
    event_id, client_id, kpi_id, observed_at, value, source, segment, recorded_at, sequence_no
)
select
    c.event_id, c.client_id, c.kpi_id, c.observed_at, c.value, c.source, c.segment,
    c.recorded_at,
    (select coalesce(max(sequence_no), 0) from okr_observations) + c.batch_position
from okr_ingest_candidates as c
where not exists (select 1 from okr_ingest_matches as m where m.event_id = c.event_id);

insert into okr_rejected_events (
    rejection_no, stream, source, line_no, event_id, raw_text, reason, rejected_at
)
select
    (select coalesce(max(rejection_no), 0) from okr_rejected_events)
        + row_number() over (order by r.source_file, r.line_no),
    'okr_observations', r.source_file, r.line_no, r.event_id, coalesce(r.raw_text, ''),
    r.reason, {now}
from okr_ingest_rejections as r;

drop table okr_ingest_matches
"""


def ingest(store: Store, names: list[str], now: datetime | None = None) -> AppendResult:
    """Ingest observation files (CSV, Parquet, JSON lines) into the store's warehouse as one
    batch: all of it is stored, or none of it."""
    files = input_files(names)
    store.init()
    now = now or utc_now()
    result = AppendResult()
    try:
        with store.engine.begin() as conn:
            if conn.dialect.name == "duckdb":
                duck = conn.connection.driver_connection
                result.duplicates = _prepare(duck, files, now)
            else:
                with duckdb.connect() as duck:
                    result.duplicates = _prepare(duck, files, now)
                    _copy_to_postgres(duck, conn)
                conn.execute(sa.text("lock table okr_observations in share row exclusive mode"))
            _append(conn, now, result)
    except sa.exc.DBAPIError as err:
        raise translate(err, store.url) from None
    return result


def _prepare(duck: Any, files: list[InputFile], now: datetime) -> int:
    reader = Reader(duck)
    for file in files:
        reader.load(file)
    _validate(duck, now)
    return _split(duck, now)


def _copy_to_postgres(duck: Any, conn: sa.Connection) -> None:
    """The batch's candidates and rejections into temp tables of the PostgreSQL transaction,
    by COPY of a CSV that DuckDB writes."""
    conn.exec_driver_sql(
        "create temp table okr_ingest_candidates (event_id text, client_id text, kpi_id text,"
        " observed_at timestamp, value double precision, source text, segment text,"
        " recorded_at timestamp, source_file text, line_no bigint, batch_position bigint)"
        " on commit drop"
    )
    conn.exec_driver_sql(
        "create temp table okr_ingest_rejections (source_file text, line_no bigint,"
        " event_id text, raw_text text, reason text) on commit drop"
    )
    raw: Any = conn.connection.driver_connection  # psycopg's own connection, for COPY
    with tempfile.TemporaryDirectory(prefix="okr-ingest-") as folder:
        for table, columns in (
            ("okr_ingest_candidates", CANDIDATE_COLUMNS),
            ("okr_ingest_rejections", REJECTION_COLUMNS),
        ):
            path = Path(folder) / f"{table}.csv"
            duck.execute(
                f"copy (select {', '.join(columns)} from {table}) to {sql_literal(str(path))}"
                " (format csv, header false, force_quote *)"
            )
            # force_quote: every text is quoted, so an unquoted empty field is a NULL.
            with raw.cursor() as cursor, path.open("rb") as handle:
                copy_sql = f"copy {table} ({', '.join(columns)}) from stdin (format csv)"
                with cursor.copy(copy_sql) as copy:
                    while block := handle.read(1 << 20):
                        copy.write(block)


def _append(conn: sa.Connection, now: datetime, result: AppendResult) -> None:
    now_sql = f"cast({sql_literal(now.isoformat(sep=' '))} as timestamp)"
    script = APPEND_SCRIPT.format(
        stored_fact=_fact("o."), batch_fact=_fact("c."), conflict_text=CONFLICT_TEXT, now=now_sql
    )
    statements = script.split(";\n")
    conn.exec_driver_sql(statements[0])  # the candidates already stored
    stored: int = conn.exec_driver_sql(
        "select count(*) from okr_ingest_matches where is_same"
    ).scalar_one()
    # the rows the insert below adds: counted in the batch, not in the (large) stored table
    result.accepted = conn.exec_driver_sql(
        "select count(*) from okr_ingest_candidates as c where not exists"
        " (select 1 from okr_ingest_matches as m where m.event_id = c.event_id)"
    ).scalar_one()
    for statement in statements[1:]:
        conn.exec_driver_sql(statement)
    result.duplicates += stored
    result.rejected = conn.exec_driver_sql(
        "select count(*) from okr_ingest_rejections"
    ).scalar_one()
    result.rejections = [
        Rejection(row.source_file, row.line_no, row.raw_text or "", row.reason, row.event_id)
        for row in conn.exec_driver_sql(
            "select * from okr_ingest_rejections order by source_file, line_no limit 10"
        )
    ]
