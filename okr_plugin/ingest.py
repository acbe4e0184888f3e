"""Metric observations in bulk: DuckDB reads and validates the files, the warehouse appends.

Nothing here loops over rows in Python. DuckDB reads each file (CSV, Parquet, JSON lines):
typed columns as they are (a Parquet timestamp, integer or double column, a CSV whose header
names only
observation columns and whose every line reads with the declared types), everything else as
text, parsed by the same rules in SQL; one SQL statement validates every row and derives
missing event ids, and
the rows then reach the warehouse in bulk: inside the same DuckDB connection when the
warehouse is DuckDB, by COPY when it is PostgreSQL. The append itself (duplicates against
what is stored, conflicts, sequence numbers, rejections) is one SQL script that runs on
either engine, in one transaction.
"""

from __future__ import annotations

import codecs
import csv
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

from .errors import StoreError
from .events import FUTURE_REASON, MAX_ID, NUL_REASON, YEARS, utc_now
from .resources import sql_statements
from .schema import okr_observations, okr_rejected_events
from .settings import duckdb_memory_limit
from .store import (
    MAX_REASONS_SHOWN,
    NUL_SHOWN,
    AppendResult,
    Rejection,
    Store,
    decode_line,
    last_number,
)
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
# The columns read typed where a file allows it (into <column>_typed of okr_ingest_rows).
TYPED = {"observed_at": "timestamp", "value": "double", "recorded_at": "timestamp"}
# How a CSV declares them: a zone in the text counts, a zone-less text is UTC (the session's).
CSV_TYPES = {"observed_at": "timestamptz", "value": "double", "recorded_at": "timestamptz"}
# Number types whose cast to double gives what parsing their text gives. FLOAT (a float32 0.1
# is 0.10000000149011612 as a double, 0.1 as text) and DECIMAL go through their text.
NUMBERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE"}
# How store.decode_line shows a byte that does not decode (always 0x80 or above).
UNDECODED = re.compile(r"\\x[89a-f][0-9a-f]")
SPANS_REASON = (
    "holds the \\xNN marks of a line that is not UTF-8: a record that runs over such a line"
    " (or a text that reads like the marks)"
)
# The prepared batch's tables, with PostgreSQL's column definitions (its backend copies them
# into temp tables of the appending transaction).
STAGED = {
    "okr_ingest_candidates": "event_id text, client_id text, kpi_id text, observed_at timestamp,"
    " value double precision, source text, segment text, recorded_at timestamp,"
    " source_file text, line_no bigint, batch_position bigint",
    "okr_ingest_rejections": "source_file text, line_no bigint, event_id text, raw_text text,"
    " reason text",
}


# What may separate a CSV's columns; the header says which one a file uses.
DELIMITERS = (",", ";", "\t", "|")


def csv_header(path: Path) -> tuple[list[str], str]:
    """A CSV file's column names and read_csv's options for it. Its delimiter is the one that
    splits the header line into the most observation columns (a comma when none does); quotes
    are double quotes, doubled inside a field. Nothing is guessed from the rows: a row that
    breaks them is rejected on its own, never read with another dialect."""
    with path.open("rb") as handle:
        line = handle.readline().decode("utf-8", errors="replace").lstrip("\ufeff")
    line = line.rstrip("\r\n")

    def names(delimiter: str) -> list[str]:
        return next(csv.reader([line], delimiter=delimiter, quotechar='"', doublequote=True), [])

    delimiter = max(DELIMITERS, key=lambda d: sum(n in COLUMNS for n in names(d)))
    options = (
        f"header = true, auto_detect = false, delim = {sql_literal(delimiter)}, quote = '\"',"
        " escape = '\"'"
    )
    return names(delimiter), options


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
    """Loads files into the DuckDB temp table okr_ingest_rows: each column as text, or typed
    in <column>_typed for the TYPED columns a file holds with their type."""

    def __init__(self, duck: Any) -> None:
        self.duck = duck
        duck.execute("set TimeZone = 'UTC'")
        duck.execute(f"set memory_limit = {sql_literal(duckdb_memory_limit())}")
        duck.execute(
            "create or replace temp table okr_ingest_rows ("
            " file_no integer, source_file varchar, line_no bigint, raw_text varchar,"
            " problem varchar, "
            + ", ".join(f"{c} varchar" for c in COLUMNS)
            + "".join(f", {c}_typed {kind}" for c, kind in TYPED.items())
            + ")"
        )

    def load(self, file: InputFile) -> None:
        try:
            if file.kind == "parquet":
                self._load_parquet(file)
                return
            lines, readable = _scan(file.path)
            if readable:
                self._load_text(file, lines)
                return
            with tempfile.TemporaryDirectory(prefix="okr-ingest-") as folder:
                copy, undecodable = _decodable_copy(file, Path(folder))
                self._load_text(copy, lines)
            self._reject_undecodable(file, undecodable)
        except duckdb.Error as err:
            first = str(err).strip().splitlines()[0]
            raise StoreError(f"{file.name}: cannot read it as {file.kind} ({first})") from None

    def _load_text(self, file: InputFile, lines: int) -> None:
        if file.kind == "csv":
            self._load_csv(file, lines)
        else:
            self._load_jsonl(file)

    def _reject_undecodable(self, file: InputFile, undecodable: list[tuple[int, str, str]]) -> None:
        """Reject every row that holds the \\xNN marks of a line that is not UTF-8 (line
        number, text as store.decode_line shows it, the problem): the row read from that line
        with the line's text and problem, any other (a CSV record whose quoted field runs over
        the line, a text that happens to read like the marks) as holding such text."""
        self.duck.execute(
            "create or replace temp table okr_undecodable"
            " (line_no bigint, raw_text varchar, problem varchar, marks varchar)"
        )
        self.duck.executemany(
            "insert into okr_undecodable values (?, ?, ?, ?)",
            [(n, text, problem, _pattern([text])) for n, text, problem in undecodable],
        )
        texts = ", ".join(f"okr_ingest_rows.{c}" for c in ("raw_text", *COLUMNS))
        held = f"concat_ws(chr(31), {texts})"
        # the bad line a row was read from: it holds the line's marks, and every text of the
        # row is in the line (a row numbered after a record that spans lines has another
        # line_no: its own line is named)
        line = (
            "from okr_undecodable as u where regexp_matches({held}, u.marks)"
            f" and list_bool_and(list_transform(list_filter([{texts}], lambda t: t is not null),"
            " lambda t: contains(u.raw_text, t)))"
            " order by abs(u.line_no - okr_ingest_rows.line_no), u.line_no limit 1"
        ).format(held=held)
        self.duck.execute(
            "update okr_ingest_rows set problem = coalesce((select case"
            "  when u.line_no = okr_ingest_rows.line_no then u.problem"
            f"  else 'line ' || u.line_no || ' is ' || u.problem end {line}),"
            f" {sql_literal(SPANS_REASON)}),"
            f" raw_text = coalesce((select u.raw_text {line}), raw_text)"
            f" where file_no = $file and regexp_matches({held}, $marks)",
            {
                "file": file.number,
                "marks": _pattern([text for _, text, _ in undecodable]),
            },
        )
        self.duck.execute("drop table okr_undecodable")

    def _insert(
        self, file: InputFile, select_sql: str, columns: list[str] | tuple[str, ...] = COLUMNS
    ) -> None:
        """Rows of select_sql (line_no, raw_text, problem, then `columns`) into okr_ingest_rows;
        the columns not named stay null."""
        self.duck.execute(
            "insert into okr_ingest_rows (file_no, source_file, line_no, raw_text, problem"
            + "".join(f", {c}" for c in columns)
            + f") select {file.number}, {sql_literal(file.name)}, * from ({select_sql})"
        )

    def _insert_read(
        self, file: InputFile, relation: str, line_of: str, types: dict[str, str]
    ) -> None:
        """The rows of a file read into `relation` (column name -> DuckDB type in `types`):
        a TYPED column of its type as it is, every other column as text."""
        columns, picked = [], []
        for c in COLUMNS:
            if c in TYPED and _same_kind(types.get(c, ""), TYPED[c]):
                columns.append(f"{c}_typed")
                picked.append(f'cast(r."{c}" as {TYPED[c]})')
            elif c in types:
                columns.append(c)
                picked.append(f'cast(r."{c}" as varchar)')
        # raw_text stays null: a rejection renders it from the fields
        self._insert(
            file,
            f"select {line_of}, null, {self._columns_check(list(types))}"
            + "".join(f", {p}" for p in picked)
            + f" from {relation} as r",
            columns,
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

    def _read_csv(self, file: InputFile, options: str) -> tuple[dict[str, str], int, int]:
        """The file into okr_csv_records (record_no: the record's place in the file); its
        columns and their types, the number of lines DuckDB rejected (in okr_csv_rejects) and
        the number of records."""
        # row_number() over (): the file's order; a rowid would not do, being offset inside a
        # transaction (the warehouse's, on DuckDB)
        self.duck.execute(
            "create or replace temp table okr_csv_records as"
            " select row_number() over () as record_no, *"
            f" from read_csv({sql_literal(str(file.path))}, {options},"
            " store_rejects = true, rejects_table = 'okr_csv_rejects',"
            " rejects_scan = 'okr_csv_scans')"
        )
        types = {
            row[0]: row[1]
            for row in self.duck.execute("describe okr_csv_records").fetchall()
            if row[0] != "record_no"
        }
        rejected = self.duck.execute("select count(*) from okr_csv_rejects").fetchone()[0]
        records = self.duck.execute("select count(*) from okr_csv_records").fetchone()[0]
        return types, rejected, records

    def _load_csv(self, file: InputFile, lines: int) -> None:
        """Typed when the header names only observation columns and every line reads with
        their types, one record a line (`lines`: the file's); otherwise (a bad value, a broken
        or blank line, an unknown column) as text, where every line gets its own verdict."""
        header, dialect = csv_header(file.path)
        if not header or len(set(header)) < len(header):
            raise StoreError(
                f"{file.name}: the first line is the header: every column named once, got"
                f" {', '.join(header) or 'nothing'}"
            )
        line_of = "r.record_no + 1"  # the header is line 1
        if header and set(header) <= set(COLUMNS):
            declared = ", ".join(
                f"{sql_literal(c)}: {sql_literal(CSV_TYPES.get(c, 'varchar'))}" for c in header
            )
            types, rejected, records = self._read_csv(file, f"columns = {{{declared}}}, {dialect}")
            if not rejected and lines == records + 1:
                self._insert_read(file, "okr_csv_records", line_of, types)
                self._drop_csv()
                return
            self._drop_csv()
        as_text = ", ".join(f"{sql_literal(c)}: 'varchar'" for c in header)
        types, rejected, records = self._read_csv(file, f"columns = {{{as_text}}}, {dialect}")
        if rejected or lines != records + 1:
            # Blank lines or broken rows shift records against lines: number the lines.
            self._number_lines(file)
            line_of = "(select line_no from okr_data_lines d where d.record_no = r.record_no)"
        self._insert_read(file, "okr_csv_records", line_of, types)
        self._insert(
            file,
            "select line, csv_line, 'the line does not parse as CSV: ' || error_message"
            # DuckDB reports a short line once per missing column: the first error speaks for it
            " from okr_csv_rejects qualify row_number() over ("
            "   partition by line order by column_idx nulls first, error_message) = 1",
            columns=(),
        )
        self._drop_csv()

    def _drop_csv(self) -> None:
        self.duck.execute(
            "drop table okr_csv_records; drop table okr_csv_rejects; drop table okr_csv_scans"
        )

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
        types = {
            row[0]: row[1]
            for row in self.duck.execute(f"describe select * from read_parquet({path})").fetchall()
        }
        self._insert_read(
            file,
            f"read_parquet({path}, file_row_number = true)",
            "file_row_number + 1",
            types,
        )


def _pattern(texts: list[str]) -> str:
    """A regular expression that finds any of the \\xNN marks these texts hold."""
    marks = {mark for text in texts for mark in UNDECODED.findall(text)}
    return "|".join(re.escape(mark) for mark in sorted(marks))


def _decodable_copy(file: InputFile, folder: Path) -> tuple[InputFile, list[tuple[int, str, str]]]:
    """A copy of a text file in `folder` whose lines that are not UTF-8 read as
    store.decode_line shows them (each bad byte as \\xNN: the lines, their number and a CSV's
    quoting stay as they were); and those lines: number, text, problem."""
    copy = folder / file.path.name
    undecodable = []
    offset = 0
    with file.path.open("rb") as source, copy.open("wb") as target:
        for line_no, raw in enumerate(source, start=1):
            text, problem = decode_line(raw, offset)
            offset += len(raw)
            if problem is None:
                target.write(raw)
                continue
            if line_no == 1 and file.kind == "csv":
                raise StoreError(f"{file.name}: the header line is {problem}")
            target.write(text.encode("utf-8"))
            undecodable.append((line_no, text.rstrip("\r\n"), problem))
    return replace(file, path=copy), undecodable


def _same_kind(duckdb_type: str, typed: str) -> bool:
    """Whether a column of this DuckDB type holds TYPED's kind of value: a point in time for a
    timestamp, a number for a double."""
    if typed == "timestamp":
        return duckdb_type.startswith("TIMESTAMP") or duckdb_type == "DATE"
    return duckdb_type.removeprefix("U") in NUMBERS


def _scan(path: Path) -> tuple[int, bool]:
    """Lines in a file (a last line without a newline counts), and whether it is all UTF-8;
    one pass in 1 MiB blocks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    count, last, readable = 0, b"\n", True
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
            last = block[-1:]
            if readable:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    readable = False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        readable = False
    return count + (last != b"\n"), readable


def _prepare_batch(duck: Any, now: datetime) -> int:
    """From okr_ingest_rows to okr_ingest_candidates and okr_ingest_rejections (DuckDB temp
    tables; see sql/observation_batch.sql); returns the number of in-batch duplicates."""
    statements = sql_statements(
        "observation_batch",
        now=sql_literal(now.isoformat(sep=" ")),
        default_source=sql_literal(DEFAULT_SOURCE),
        nul_reason=sql_literal(NUL_REASON),
        future_reason=sql_literal(FUTURE_REASON),
        first_year=YEARS[0],
        last_year=YEARS[1],
        max_id=MAX_ID,
        nul_shown=sql_literal(NUL_SHOWN),
    )
    for name in ("typed", "checked", "drop_typed", "drop_rows"):  # drops: memory, at 10M rows
        duck.execute(statements[name])
    for name in ("repeats", "candidates", "rejections"):
        duck.execute(statements[name])
    repeats = duck.execute(statements["count_repeats"]).fetchone()[0]
    duck.execute(statements["drop_repeats"])
    duck.execute(statements["drop_checked"])
    return int(repeats)


def ingest(store: Store, names: list[str], now: datetime | None = None) -> AppendResult:
    """Ingest observation files (CSV, Parquet, JSON lines) into the store's warehouse as one
    batch: all of it is stored, or none of it (on Spark, one write per table: see
    backends/spark.py)."""
    files = input_files(names)
    store.init()
    now = now or utc_now()
    result = AppendResult()
    try:
        with store.backend.one_writer(), store.engine.begin() as conn:
            numbers = _last_numbers(store, conn)  # first: they lock the tables
            in_batch = store.backend.append_observations(
                conn,
                lambda duck: _prepare(duck, files, now),
                lambda target: _append(target, now, result, numbers),
                STAGED,
            )
            result.duplicates += in_batch  # _append counted the stored ones
    except sa.exc.DBAPIError as err:
        raise translate(err, store.url) from None
    return result


def _last_numbers(store: Store, conn: sa.Connection) -> tuple[int, int]:
    """The last sequence_no and rejection_no, from which the batch numbers its rows."""
    return (
        last_number(store.backend, conn, okr_observations.c.sequence_no),
        last_number(store.backend, conn, okr_rejected_events.c.rejection_no),
    )


def _prepare(duck: Any, files: list[InputFile], now: datetime) -> int:
    reader = Reader(duck)
    for file in files:
        reader.load(file)
    return _prepare_batch(duck, now)


def _append(
    conn: sa.Connection, now: datetime, result: AppendResult, numbers: tuple[int, int]
) -> None:
    """The prepared batch into the store (sql/observation_append.sql), in the caller's
    transaction, numbered from the last sequence_no and rejection_no."""
    statements = sql_statements("observation_append", shown=MAX_REASONS_SHOWN)

    def run(name: str, **params: Any) -> Any:
        return conn.execute(sa.text(statements[name]), params)

    last_sequence_no, last_rejection_no = numbers
    run("matches")
    stored = run("count_stored").scalar_one()
    result.accepted = run("count_new").scalar_one()
    run("reject_conflicts")
    run("insert_new", last_sequence_no=last_sequence_no)
    result.duplicates += stored
    result.rejected = run("count_rejected").scalar_one()
    run("insert_rejections", last_rejection_no=last_rejection_no, now=now)
    result.rejections = [
        Rejection(row.source_file, row.line_no, row.raw_text or "", row.reason, row.event_id)
        for row in run("first_rejections")
    ]
    run("drop_matches")
