"""okr's operations as Python functions: what the `okr` command does, for a notebook, an
orchestrator's task or a test, without a process of its own.

Each function takes the warehouse as the command line does (a SQLAlchemy URL or a DuckDB file;
None: $OKR_WAREHOUSE, then okr.duckdb in the current folder) and returns what it did. A
failure raises OkrError with a one-line message (QualityGateFailed when the quality gate stops
a build; WarehouseLocked when another process holds a DuckDB file). Progress lines go to
`progress` when one is given; nothing is printed otherwise.

    from okr_plugin import app

    app.ingest(["exports/ga4_2026-08-14.csv"], "warehouse.duckdb")
    built = app.build("warehouse.duckdb")
    rows = app.read_mart("okr_objectives", "warehouse.duckdb", client="acme")
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa

from . import access, checkins, plan
from .backends import backend_for
from .backends.base import Published
from .build import DbtProject
from .child import Say
from .dashboards import write_superset_bundle
from .errors import StoreError
from .events import PERIOD_PATTERN
from .gate.results import GateReport, QualityGateFailed
from .gate.runner import run_gate
from .ingest import ingest as ingest_files
from .report import write_report
from .resources import mart_names
from .scorecard import render_scorecard
from .settings import resolve_warehouse, work_dir
from .sparkconnect import DEFAULT_PORT
from .sparkconnect import server as spark_server
from .store import AppendResult, Line, Store, read_lines
from .warehouse import check_url, display, translate

Progress = Say | None

DEMO_AS_OF = "2026-08-15"
DEMO_CLIENT = "saas-demo"
INPUT_TABLES = (
    "okr_events, okr_observations, okr_rejected_events, okr_quality_results and okr_quality_runs"
)


def warehouse_url(warehouse: str | None = None) -> str:
    """The warehouse's URL: a URL as given, a plain path as a DuckDB file; None: $OKR_WAREHOUSE,
    then okr.duckdb here. A URL SQLAlchemy cannot read, or of a warehouse okr does not run on,
    is a one-line error."""
    url = check_url(resolve_warehouse(warehouse))
    backend_for(url)
    return url


def _say(progress: Progress, line: str) -> None:
    if progress is not None:
        progress(line)


def init(warehouse: str | None = None) -> str:
    """Create the input tables (running it again changes nothing); returns the line saying
    which are ready where."""
    url = warehouse_url(warehouse)
    with Store(url) as store:
        store.init()
    return f"{INPUT_TABLES} are ready in {display(url)}"


def _open_inputs(files: Sequence[str | Path], stack: ExitStack) -> Iterator[Line]:
    """Open every input first, so a missing file fails before anything is stored."""
    handles: list[tuple[str, BinaryIO]] = []
    for name in map(str, files):
        if name == "-":
            handles.append(("<stdin>", sys.stdin.buffer))
            continue
        path = Path(name)
        if not path.is_file():
            raise StoreError(f"{name}: no such file")
        try:
            handle: BinaryIO = stack.enter_context(path.open("rb"))
        except OSError as err:
            raise StoreError(f"{name}: cannot read it ({err.strerror})") from None
        handles.append((name, handle))
    for source, handle in handles:
        yield from read_lines(source, handle)


def append(files: Sequence[str | Path], warehouse: str | None = None) -> AppendResult:
    """Append the goal events of JSON-lines files (`-`: standard input) as one batch: every
    valid event or none; the invalid ones are rejected, with their reasons."""
    url = warehouse_url(warehouse)
    with ExitStack() as stack, Store(url) as store:
        lines = list(_open_inputs(files, stack))
        return store.append(lines)


def ingest(files: Sequence[str | Path], warehouse: str | None = None) -> AppendResult:
    """Ingest metric observations (CSV, Parquet, JSON lines) as one batch."""
    url = warehouse_url(warehouse)
    with Store(url) as store:
        return ingest_files(store, [str(name) for name in files])


def checkin(
    key_result_id: str,
    value: str,
    warehouse: str | None = None,
    *,
    client: str | None = None,
    confidence: float | None = None,
    note: str | None = None,
    at: str | None = None,
    actor: str | None = None,
) -> AppendResult:
    """Append a key result's check-in (`value` as typed: 1500, 2.05, true); the client is found
    from the key result's id unless two clients have one of that id. A value that is not a
    plain number, or a check-in the store refuses, raises OkrError and appends nothing."""
    with Store(warehouse_url(warehouse)) as store:
        return checkins.checkin(
            store,
            key_result_id,
            value,
            client=client,
            confidence=confidence,
            note=note,
            at=at,
            actor=actor,
        )


def plan_export(
    client: str, out: str | Path, warehouse: str | None = None, period: str | None = None
) -> str:
    """Write a client's objectives and key results (of one period, or all) as a plan sheet,
    .xlsx or .csv; returns the line saying where."""
    path = Path(out)
    if period is not None and not PERIOD_PATTERN.match(period):
        raise plan.PlanError(f"--period {period!r} is not a period such as 2026, 2026-Q3, 2026-07")
    with Store(warehouse_url(warehouse)) as store:
        rows = plan.plan_rows(store, client, period)
    plan.write_sheet(rows, path, period or "Plan")
    return f"wrote {path}: {len(rows)} rows of {client}'s plan" + (
        f" for {period}" if period else ""
    )


def checkin_export(client: str, out: str | Path, warehouse: str | None = None) -> str:
    """Write the week's check-in sheet of a client: every key result still running, its last
    value, and empty columns for the new value, confidence and note."""
    path = Path(out)
    with Store(warehouse_url(warehouse)) as store:
        rows = checkins.checkin_rows(store, client)
    plan.write_sheet(rows, path, "Check-ins", checkins.CHECKINS)
    return f"wrote {path}: {len(rows)} key results of {client} to check in"


def checkin_sheet(
    path: str | Path, client: str, warehouse: str | None = None, actor: str | None = None
) -> AppendResult:
    """Append the check-ins of a sheet's rows that have a value, all or none."""
    with Store(warehouse_url(warehouse)) as store:
        return checkins.checkin_sheet(store, Path(path), client, actor)


def plan_template(out: str | Path) -> str:
    """Write an empty plan sheet, its columns explained in a Notes sheet (XLSX)."""
    path = Path(out)
    plan.write_sheet([], path)
    notes = (
        "its Notes sheet" if path.suffix.lower() == ".xlsx" else "a .xlsx template's Notes sheet"
    )
    return f"wrote {path}: an empty plan; {notes} says what each column holds"


def plan_import(
    path: str | Path,
    client: str,
    warehouse: str | None = None,
    *,
    dry_run: bool = False,
    remove_missing: bool = False,
    actor: str | None = None,
    at: str | None = None,
) -> tuple[plan.Diff, AppendResult | None]:
    """Diff a plan sheet against the client's state at the last build and append the events
    that make the state equal to it, all or none (none with dry_run), in effect from `at` (an
    ISO timestamp; default now); every problem of the sheet raises one PlanError, a line per
    problem."""
    with Store(warehouse_url(warehouse)) as store:
        return plan.import_plan(
            store,
            Path(path),
            client,
            dry_run=dry_run,
            remove_missing=remove_missing,
            actor=actor,
            at=checkins.moment("--at", at) if at else None,
        )


def check(
    warehouse: str | None = None,
    variables: dict[str, Any] | None = None,
    full: bool = False,
    progress: Progress = None,
    always_report: bool = True,
) -> GateReport:
    """Run the quality gate on the input tables: the rows appended since the last passing run,
    or every row (full). The report says what failed, where; its HTML documents are written
    when a check fails, and on every run with always_report."""
    url = warehouse_url(warehouse)
    _say(progress, f"checking the input tables of {display(url)}")
    return run_gate(url, work_dir(url) / "quality", variables or {}, full, always_report)


@dataclass
class Built:
    """A build that passed the gate and dbt's tests."""

    url: str
    as_of: str | None  # None: now
    gate: GateReport

    def summary(self) -> str:
        return f"built the okr models in {display(self.url)} as of {self.as_of or 'now'}"


def build(
    warehouse: str | None = None,
    as_of: str | None = None,
    full_refresh: bool = False,
    variables: dict[str, Any] | None = None,
    progress: Progress = None,
) -> Built:
    """The quality gate, then dbt (seeds, models, tests). as_of: a date (the end of that day,
    UTC) or an ISO timestamp; full_refresh rebuilds the incremental models (and the gate checks
    every row). Raises QualityGateFailed, with nothing built, when a critical check fails."""
    url = warehouse_url(warehouse)
    if variables and "as_of" in variables:
        raise StoreError("give as_of as its own argument, not in the variables")
    reports: list[GateReport] = []

    def gate() -> None:
        report = check(url, variables, full_refresh, progress, always_report=False)
        for outcome in report.outcomes:
            if not outcome.success:
                _say(progress, "  " + outcome.line())
        _say(progress, report.summary())
        if report.critical:
            first = report.critical[0]
            raise QualityGateFailed(
                f"the quality gate found {len(report.critical)} critical failures, so nothing"
                f" was built and every table is as it was; first: {first.line().strip()}"
                " (run okr check for all of them)"
            )
        reports.append(report)
        _say(progress, f"building the okr models in {display(url)} as of {as_of or 'now'}")

    # Unit tests pin the rules on fixed rows; they belong to the test suite, not to every build.
    options = ["--exclude-resource-type", "unit_test"] + (
        ["--full-refresh"] if full_refresh else []
    )
    # the gate runs while dbt starts and parses the project
    project = DbtProject(url, progress)
    project.build({**(variables or {}), "as_of": as_of}, options, before=gate)
    return Built(url, as_of, reports[-1])


@dataclass
class NothingToPublish:
    """A warehouse whose BI tools read it directly."""

    reason: str

    def summary(self) -> str:
        return f"okr publish: {self.reason}"


def publish(
    warehouse: str | None = None, to: str | None = None, client: str | None = None
) -> Published | NothingToPublish:
    """A read-only snapshot of the marts for BI tools (DuckDB), swapped into place at once; to:
    the file (default: beside the warehouse); client: only its rows (needs `to`). Elsewhere it
    says why BI tools need none."""
    backend = backend_for(warehouse_url(warehouse))
    if backend.publish_instead is not None:
        return NothingToPublish(backend.publish_instead)
    return backend.publish(to, client)


def grant(
    role: str,
    client: str | None,
    warehouse: str | None = None,
    idle_timeout: int = access.IDLE_TIMEOUT,
    statement_timeout: int = access.STATEMENT_TIMEOUT,
) -> str:
    """Let a database role read the marts' rows of a client (None: every client), on
    PostgreSQL; the timeouts (seconds, 0: never) keep it from holding up builds."""
    if idle_timeout < 0 or statement_timeout < 0:
        raise StoreError("--idle-timeout and --statement-timeout are seconds, 0 or more")
    return access.grant(warehouse_url(warehouse), role, client, idle_timeout, statement_timeout)


def revoke(role: str, client: str | None, warehouse: str | None = None) -> str:
    """Take a grant back; a role left without any loses select on the marts too."""
    return access.revoke(warehouse_url(warehouse), role, client)


def grants(warehouse: str | None = None) -> tuple[list[access.Grant], list[str]]:
    """Every grant, and a warning for each role that row-level security would no longer keep to
    its clients."""
    return access.grants(warehouse_url(warehouse))


def read_mart(
    name: str, warehouse: str | None = None, client: str | None = None
) -> list[dict[str, Any]]:
    """The rows of a mart (only a client's, when given), each a dict of column to value."""
    if name not in mart_names():
        raise StoreError(f"{name!r} is not a mart; the marts: {', '.join(mart_names())}")
    url = warehouse_url(warehouse)
    query = sa.select(sa.text("*")).select_from(sa.table(name))
    if client is not None:
        query = query.where(sa.column("client_id") == client)
    with Store(url) as store:
        try:
            with store.engine.connect() as conn:
                if not sa.inspect(conn).has_table(name):
                    raise StoreError(f"{display(url)} has no {name} yet: run okr build first")
                return [dict(row._mapping) for row in conn.execute(query)]
        except sa.exc.DBAPIError as err:
            raise translate(err, url) from None


def scorecard(
    warehouse: str | None = None, client: str | None = None, period: str | None = None
) -> str:
    """Objectives and key results with their scores, as text."""
    with Store(warehouse_url(warehouse)) as store:
        return render_scorecard(store, client=client, period=period)


def report(client: str, period: str, out: str, warehouse: str | None = None) -> str:
    """Write a client's period report (HTML); returns the line saying where."""
    with Store(warehouse_url(warehouse)) as store:
        return write_report(store, client, period, out)


def superset_bundle(out: str, warehouse: str | None = None, snapshot: str | None = None) -> str:
    """Pack the Superset dashboards into an import bundle for this warehouse."""
    return write_superset_bundle(warehouse_url(warehouse), out, snapshot)


@dataclass
class Demo:
    appended: AppendResult
    ingested: AppendResult
    built: Built
    scorecard: str


def demo(warehouse: str | None = None, progress: Progress = None) -> Demo:
    """Load the worked example's events and observations, build as of its day, and render its
    client's scorecard."""
    url = warehouse_url(warehouse)
    files = resources.files("okr_plugin") / "demo"
    _say(progress, f"loading the demo events and observations into {display(url)}")
    with (
        resources.as_file(files / "saas_2026q3.jsonl") as events,
        resources.as_file(files / "observations.csv") as observations,
        Store(url) as store,
    ):
        with events.open("rb") as handle:
            appended = store.append(list(read_lines("demo/saas_2026q3.jsonl", handle)))
        ingested = ingest_files(store, [str(observations)])
    built = build(url, DEMO_AS_OF, progress=progress)
    return Demo(appended, ingested, built, scorecard(url, client=DEMO_CLIENT))


def spark_start(
    folder: Path, port: int = DEFAULT_PORT, settings: dict[str, str] | None = None
) -> str:
    """Start a local Spark Connect server whose tables live in folder; returns its URL.
    `settings`: Spark settings over okr's own."""
    return spark_server.start_server(folder, port, settings=settings)


def spark_stop(folder: Path) -> None:
    """Stop the local Spark Connect server of folder."""
    spark_server.stop_server(folder)
