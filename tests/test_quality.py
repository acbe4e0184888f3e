"""The data-quality gate: bad data written straight into the tables, around the CLI, is caught
by `okr check` (with the expectation, the table and the offending id), stored in
okr_quality_results, and stops `okr build` without touching a built table.

Every expectation here must fail on the rows planted for it: a gate that passes everything
would fail these tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from okr_plugin.schema import okr_events, okr_observations

from conftest import LOAD_ORDER, Run, Workspace, event, marts

T0 = "2026-07-01T09:00:00Z"
GOOD = [
    event("e-kpi", "kpi_defined", "visits", T0, {"name": "Visits", "aggregation": "sum"}),
    event(
        "e-o1",
        "objective_created",
        "o1",
        T0,
        {"title": "Grow", "level": "team", "period": "2026-Q3"},
    ),
    event(
        "e-o2",
        "objective_created",
        "o2",
        T0,
        {"title": "Sub", "level": "team", "period": "2026-Q3"},
    ),
    event(
        "e-kr1",
        "key_result_created",
        "kr1",
        T0,
        {"objective_id": "o1", "title": "Visits", "target_value": 100, "kpi_id": "visits"},
    ),
]
GOOD_OBSERVATIONS = "event_id,client_id,kpi_id,observed_at,value\nv1,acme,visits,2026-07-02,10\n"


def load_good(ws: Workspace) -> None:
    """Goal events and an observation that pass every expectation, through the CLI."""
    assert ws.append(GOOD).code == 0
    (ws.folder / "obs.csv").write_text(GOOD_OBSERVATIONS)
    assert ws.okr("ingest", str(ws.folder / "obs.csv")).code == 0


def plant_event(
    conn: sa.Connection,
    event_id: str,
    event_type: str,
    entity_id: str,
    payload: dict[str, Any],
    occurred_at: datetime = datetime(2026, 7, 3),
    recorded_at: datetime = datetime(2026, 7, 3),
) -> None:
    """An event written by some other tool: no validation, no CLI."""
    sequence = conn.execute(sa.select(sa.func.max(okr_events.c.sequence_no))).scalar_one()
    conn.execute(
        okr_events.insert().values(
            event_id=event_id,
            event_type=event_type,
            client_id="acme",
            entity_id=entity_id,
            occurred_at=occurred_at,
            recorded_at=recorded_at,
            payload=payload,
            sequence_no=sequence + 1,
            content_hash="planted",
        )
    )


def plant_observation(conn: sa.Connection, event_id: str, **fields: Any) -> None:
    row = {
        "event_id": event_id,
        "client_id": "acme",
        "kpi_id": "visits",
        "observed_at": datetime(2026, 7, 3),
        "value": 1.0,
        "source": "elt",
        "segment": None,
        "recorded_at": datetime(2026, 7, 4),
        "sequence_no": 1000,
        **fields,
    }
    conn.execute(okr_observations.insert().values(**row))


def plant_everything(url: str) -> None:
    """One planted row per kind of bad data, each with an id of its own."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            plant_event(conn, "bad-type", "objective_renamed", "o1", {"title": "x"})
            plant_event(
                conn,
                "bad-level",
                "objective_created",
                "o3",
                {"title": "x", "level": "galaxy", "period": "2026-Q3"},
            )
            plant_event(
                conn, "no-period", "objective_created", "o4", {"title": "x", "level": "team"}
            )
            plant_event(
                conn,
                "bad-direction",
                "key_result_created",
                "kr2",
                {"objective_id": "o1", "title": "x", "target_value": 1, "direction": "sideways"},
            )
            plant_event(
                conn, "bad-aggregation", "kpi_defined", "k2", {"name": "x", "aggregation": "median"}
            )
            plant_event(
                conn,
                "bad-scoring",
                "key_result_created",
                "kr5",
                {"objective_id": "o1", "title": "x", "target_value": 1, "scoring": "vibes"},
            )
            plant_event(
                conn,
                "from-the-future",
                "key_result_checked_in",
                "kr1",
                {"value": 1},
                occurred_at=datetime(2031, 1, 1),
                recorded_at=datetime(2031, 1, 1),
            )
            plant_event(
                conn,
                "no-title",
                "key_result_created",
                "kr3",
                {"objective_id": "o1", "target_value": 5},
            )
            plant_event(
                conn,
                "nan-target",
                "key_result_target_changed",
                "kr1",
                {"target_value": "NaN"},
            )
            plant_event(
                conn,
                "ancient",
                "objective_updated",
                "o1",
                {"title": "y"},
                occurred_at=datetime(1999, 12, 31),
            )
            plant_event(
                conn,
                "orphan-kr",
                "key_result_created",
                "kr4",
                {"objective_id": "nowhere", "title": "x", "target_value": 1},
            )
            plant_event(
                conn, "orphan-parent", "objective_updated", "o2", {"parent_objective_id": "ghost"}
            )
            # o1 -> o2 -> o1: a cycle in the alignment tree
            plant_event(conn, "cycle-a", "objective_updated", "o1", {"parent_objective_id": "o2"})
            plant_event(conn, "cycle-b", "objective_updated", "o3", {"parent_objective_id": "o3"})
            plant_event(
                conn,
                "early-record",
                "objective_updated",
                "o1",
                {"owner": "z"},
                occurred_at=datetime(2026, 7, 10),
                recorded_at=datetime(2026, 7, 3),
            )
            plant_observation(conn, "v1")  # the ingested v1 again: a duplicate id
            plant_observation(conn, "far-future", observed_at=datetime(2031, 1, 1))
            plant_observation(conn, "infinite", value=float("inf"))
            plant_observation(conn, "not-a-number", value=float("nan"))
            plant_observation(conn, "unknown-kpi", kpi_id="no-such-kpi")
            conn.execute(
                sa.text(
                    "create table ga4_extra (event_id varchar, client_id varchar, kpi_id varchar,"
                    " observed_at timestamp, value double precision, source varchar,"
                    " segment varchar, recorded_at timestamp)"
                )
            )
            conn.execute(
                sa.text(
                    "insert into ga4_extra values"
                    " ('ga-ok', 'acme', 'visits', '2026-07-02', 5, 'ga4', null, '2026-07-03'),"
                    " ('ga-null-kpi', 'acme', null, '2026-07-02', 5, 'ga4', null, '2026-07-03')"
                )
            )
    finally:
        engine.dispose()


# (what is wrong, table, expectation as okr check names it, offending id, severity)
CASES = [
    ("unknown event type", "okr_events", "to_be_in_set(event_type)", "bad-type", "critical"),
    ("level outside its set", "okr_event_fields", "to_be_in_set(level)", "bad-level", "critical"),
    (
        "direction outside its set",
        "okr_event_fields",
        "to_be_in_set(key_result_direction)",
        "bad-direction",
        "critical",
    ),
    (
        "aggregation outside its set",
        "okr_event_fields",
        "to_be_in_set(aggregation)",
        "bad-aggregation",
        "critical",
    ),
    (
        "scoring outside its set",
        "okr_event_fields",
        "to_be_in_set(scoring)",
        "bad-scoring",
        "critical",
    ),
    (
        "recorded years from now",
        "okr_events",
        "to_be_between(recorded_at)",
        "from-the-future",
        "critical",
    ),
    (
        "required field missing",
        "okr_event_fields",
        "key_result_created has objective_id, title",
        "no-title",
        "critical",
    ),
    ("objective without a period", "okr_event_fields", "has a period", "no-period", "critical"),
    (
        "number that is not finite",
        "okr_event_fields",
        "to_match_regex(target_value)",
        "nan-target",
        "critical",
    ),
    ("timestamp before 2000", "okr_events", "to_be_between(occurred_at)", "ancient", "critical"),
    (
        "key result without its objective",
        "okr_event_fields",
        "a key result's objective_id",
        "orphan-kr",
        "critical",
    ),
    (
        "parent that does not exist",
        "okr_event_fields",
        "a parent's parent_objective_id",
        "orphan-parent",
        "critical",
    ),
    ("cycle in the alignment tree", "okr_event_fields", "no cycle", "o3", "critical"),
    (
        "recorded long before it occurred",
        "okr_events",
        "recorded_at is at most a day before",
        "early-record",
        "warning",
    ),
    ("duplicate observation id", "okr_observations", "event_id is unique", "v1", "critical"),
    (
        "observation in the far future",
        "okr_observations",
        "to_be_between(observed_at)",
        "far-future",
        "critical",
    ),
    ("infinite value", "okr_observations", "values are finite", "infinite", "critical"),
    ("NaN value", "okr_observations", "values are finite", "not-a-number", "critical"),
    (
        "observation of an undefined KPI",
        "okr_observations",
        "kpi_defined event",
        "unknown-kpi",
        "warning",
    ),
    (
        "null kpi_id in an extra relation",
        "ga4_extra",
        "to_not_be_null(kpi_id)",
        "ga-null-kpi",
        "critical",
    ),
]
EXTRA = "{okr_observation_relations: [ga4_extra]}"


@pytest.fixture(scope="module")
def checked(module_workspace: Workspace) -> tuple[Workspace, Run]:
    ws = module_workspace
    load_good(ws)
    clean = ws.okr("check")
    assert clean.code == 0, clean.out + clean.err
    assert " 0 critical and 0 warning failures" in clean.out
    plant_everything(ws.url)
    return ws, ws.okr("check", "--vars", EXTRA)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_okr_check_catches(checked: tuple[Workspace, Run], case: tuple[str, ...]) -> None:
    _, run = checked
    _, table, expectation, offending_id, severity = case
    lines = [
        line
        for line in run.out.splitlines()
        if line.split()[:1] == [severity] and f" {table}: " in line and expectation in line
    ]
    assert lines, f"no {severity} line for {table} {expectation}:\n{run.out}"
    assert any(offending_id in line for line in lines), lines


def test_critical_failures_exit_4_and_are_stored(checked: tuple[Workspace, Run]) -> None:
    ws, run = checked
    assert run.code == 4, run.err
    assert "Traceback" not in run.err
    results = ws.rows("select * from okr_quality_results")
    runs = {r["run_id"] for r in results}
    assert len(runs) == 2  # the clean run and this one
    latest = max(runs, key=lambda r: max(x["run_at"] for x in results if x["run_id"] == r))
    rows = [r for r in results if r["run_id"] == latest]
    # one row per expectation: every line okr check printed, and no more
    printed = [
        line for line in run.out.splitlines() if re.match(r"^\s+(pass|critical|warning)\s", line)
    ]
    assert len(rows) == len(printed)
    failed = {(r["table_name"], r["severity"]) for r in rows if not r["success"]}
    assert ("ga4_extra", "critical") in failed and ("okr_observations", "warning") in failed
    unique = [
        r
        for r in rows
        if r["table_name"] == "okr_observations" and r["expectation"] == "event_id is unique"
    ][0]
    # v1 ingested once and planted once: one id held by two rows
    assert unique["unexpected_count"] == 1
    assert unique["sample_ids"] == "v1"
    report = Path(re.search(r"report: (\S+index\.html)", run.out).group(1))  # type: ignore[union-attr]
    assert report.exists() and "okr_events_suite" in report.read_text()


def test_build_runs_the_gate_first(workspace: Workspace) -> None:
    ws = workspace
    load_good(ws)
    with around_the_cli(ws) as conn:
        plant_observation(conn, "unknown-kpi", kpi_id="no-such-kpi")
    warned = ws.okr("build")
    assert warned.code == 0, warned.err  # a warning is reported, not fatal
    assert "warning  okr_observations: the observation's kpi_id" in warned.err
    before = marts(ws, LOAD_ORDER)
    assert before["okr_key_results"]

    with around_the_cli(ws) as conn:
        plant_event(conn, "bad-type", "objective_renamed", "o1", {"title": "x"})
    stopped = ws.okr("build")
    assert stopped.code == 4
    message = stopped.err.strip().splitlines()[-1]
    assert message.startswith("okr: error: the quality gate found 1 critical failures")
    assert "bad-type" in message
    assert marts(ws, LOAD_ORDER) == before


@contextmanager
def around_the_cli(ws: Workspace) -> Iterator[sa.Connection]:
    """A transaction on the warehouse of some other tool, closed (and its file freed) after."""
    engine = sa.create_engine(ws.url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def gate_runs(ws: Workspace) -> list[tuple[str, bool, int, bool]]:
    """okr_quality_runs of the latest run: (table, full scan, rows checked, passed)."""
    rows = ws.rows(
        "select table_name, full_scan, rows_checked, passed from okr_quality_runs"
        " where run_at = (select max(run_at) from okr_quality_runs) order by table_name"
    )
    return [(r["table_name"], r["full_scan"], r["rows_checked"], r["passed"]) for r in rows]


def test_the_gate_checks_new_rows_until_they_pass_and_everything_when_asked(
    workspace: Workspace,
) -> None:
    ws = workspace
    load_good(ws)
    # no passing run yet: every row (4 events, 1 observation)
    assert ws.okr("check").code == 0
    assert gate_runs(ws) == [("okr_events", True, 4, True), ("okr_observations", True, 1, True)]

    # one more event through the CLI: the next run checks it alone
    more = event(
        "e-o3",
        "objective_created",
        "o3",
        T0,
        {"title": "More", "level": "team", "period": "2026-Q3"},
    )
    assert ws.append([more], "more.jsonl").code == 0
    run = ws.okr("check")
    assert run.code == 0, run.out
    assert "since the last passing run (1 of okr_events, 0 of okr_observations)" in run.out
    assert gate_runs(ws) == [("okr_events", False, 1, True), ("okr_observations", False, 0, True)]

    # a bad row written around the CLI stops every run until it is gone
    with around_the_cli(ws) as conn:
        plant_event(conn, "bad-type", "objective_renamed", "o1", {"title": "x"})
    for _ in range(2):
        stopped = ws.okr("check")
        assert stopped.code == 4 and "bad-type" in stopped.out
        assert gate_runs(ws) == [
            ("okr_events", False, 1, False),
            ("okr_observations", False, 0, False),
        ]
    with around_the_cli(ws) as conn:
        conn.execute(sa.text("delete from okr_events where event_id = 'bad-type'"))
    # nothing left since the last passing run: nothing validated, nothing recorded (GX unloaded)
    recorded = ws.rows("select count(*) as n from okr_quality_runs")
    idle = ws.okr("check")
    assert idle.code == 0, idle.out
    assert "nothing appended since the last passing run, nothing to check" in idle.out
    assert ws.rows("select count(*) as n from okr_quality_runs") == recorded

    # a row edited in place (its sequence_no already checked) is not a new row: only a full
    # run sees it, as okr check --full and okr build --full-refresh (the nightly path) do
    with around_the_cli(ws) as conn:
        conn.execute(
            okr_events.update()
            .where(okr_events.c.event_id == "e-o1")
            .values(payload={"title": "Grow", "level": "galaxy", "period": "2026-Q3"})
        )
    assert ws.okr("check").code == 0
    for command in (["check", "--full"], ["build", "--full-refresh"]):
        found = ws.okr(*command)
        assert found.code == 4, found.err
        assert "to_be_in_set(level)" in found.out + found.err
        assert "e-o1" in found.out + found.err
    assert gate_runs(ws) == [("okr_events", True, 5, False), ("okr_observations", True, 1, False)]


def test_extra_relations_are_checked_from_the_last_pass_less_the_lookback(
    duckdb_workspace: Workspace,
) -> None:
    ws = duckdb_workspace
    load_good(ws)
    with around_the_cli(ws) as conn:
        conn.execute(
            sa.text(
                "create table ga4_extra as select event_id, client_id, kpi_id, observed_at, value,"
                " source, segment, recorded_at from okr_observations"
            )
        )
        conn.execute(sa.text("update ga4_extra set recorded_at = timestamp '2026-07-10 12:00'"))
    assert ws.okr("check", "--vars", EXTRA).code == 0
    rows = ws.rows(
        "select through_recorded_at from okr_quality_runs where table_name = 'ga4_extra'"
    )
    assert [str(r["through_recorded_at"]) for r in rows] == ["2026-07-10 12:00:00"]
    # recorded 23 hours before the last pass's latest recorded_at: within the 24-hour lookback,
    # so checked; 25 hours before: outside it, so only a full run sees it
    with around_the_cli(ws) as conn:
        conn.execute(
            sa.text(
                "insert into ga4_extra values"
                " ('late', 'acme', null, '2026-07-02', 5, 'ga4', null, '2026-07-09 13:00'),"
                " ('older', 'acme', null, '2026-07-02', 5, 'ga4', null, '2026-07-09 11:00')"
            )
        )
    run = ws.okr("check", "--vars", EXTRA)
    assert run.code == 4
    line = [
        x
        for x in run.out.splitlines()
        if "ga4_extra: expect_column_values_to_not_be_null(kpi_id)" in x
    ]
    assert line and "1 rows" in line[0] and "late" in line[0] and "older" not in line[0], line
    full = ws.okr("check", "--full", "--vars", EXTRA)
    line = [
        x
        for x in full.out.splitlines()
        if "ga4_extra: expect_column_values_to_not_be_null(kpi_id)" in x
    ]
    assert line and "2 rows" in line[0], line
