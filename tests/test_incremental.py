"""An incremental build after new, late, corrected and backfilled observations, a KPI target
changed and a KPI defined after its observations (both recorded late), and after builds with
`as_of` (a past day, and today), gives exactly the tables a --full-refresh gives."""

from __future__ import annotations

from datetime import UTC, datetime

from test_kpis_end_to_end import GOALS, JAN1, LAST_JSONL, SUM_CSV

from okr_plugin.build import work_dir
from okr_plugin.resources import mart_names

from conftest import Workspace, event, marts

# Every mart, and the incremental model the observations go through first.
TABLES = ["int_okr__kpi_daily_segments", *mart_names()]
# The moment a build describes differs between any two builds.
LINEAGE = {"as_of_at", "known_at"}

MORE_CSV = """client_id,kpi_id,observed_at,value,source,segment,recorded_at
acme,k-sum,2026-01-06T12:00:00Z,11,ga4,us,
acme,k-sum,2025-12-29T12:00:00Z,9,ga4,fr,
acme,k-sum,2026-01-01T12:00:00Z,31,ga4,us,
acme,k-sum,2026-01-05T12:00:00Z,1,ga4,de,2026-01-02T00:00:00Z
acme,k-last,2026-03-31T10:00:00Z,111,stripe,eu,
"""
# line 2: a new day; 3: late (an old day, a new segment); 4: a correction of 1 January's 30
# (same observed_at, source, segment; recorded now, so it wins); 5: a backfill whose
# recorded_at (2 January) is older than anything in the table, caught by its sequence_no
# (it is not a correction: its observed_at differs from the stored 40's); 6: a correction.

# A KPI observed before it is defined: no rollups until its kpi_defined arrives.
EARLY_CSV = """client_id,kpi_id,observed_at,value
acme,k-early,2026-01-02T08:00:00Z,5
acme,k-early,2026-02-03T08:00:00Z,7
"""
# Recorded now, in effect since December: k-sum's target doubles, k-early is defined.
LATE_GOALS = [
    event(
        "k-sum-target",
        "kpi_updated",
        "k-sum",
        JAN1,
        {"target_value": 200, "target_grain": "week"},
        recorded_at=None,
    ),
    event(
        "def-k-early",
        "kpi_defined",
        "k-early",
        JAN1,
        {"name": "k-early", "aggregation": "max", "target_value": 10, "target_grain": "month"},
        recorded_at=None,
    ),
]


def test_incremental_equals_full_refresh(duckdb_workspace: Workspace) -> None:
    ws = duckdb_workspace
    assert ws.append(GOALS).code == 0
    (ws.folder / "sum.csv").write_text(SUM_CSV)
    (ws.folder / "last.jsonl").write_text(LAST_JSONL)
    (ws.folder / "early.csv").write_text(EARLY_CSV)
    assert ws.okr("ingest", "sum.csv", "last.jsonl", "early.csv").code == 0
    # as of today, whose end is still to come: the build's own moment, not a later one that
    # the next build's would precede (the incremental models go on from the moment they
    # describe, and would take nothing new)
    today = datetime.now(UTC)
    assert ws.okr("build", "--as-of", today.date().isoformat()).code == 0
    described = ws.rows("select max(as_of_at) as at from okr_kpi_rollups")[0]["at"]
    assert today.replace(tzinfo=None) < described < datetime.now(UTC).replace(tzinfo=None)
    before = marts(ws, LINEAGE, TABLES)
    assert not [r for r in before["okr_kpi_rollups"] if r["kpi_id"] == "k-early"]

    (ws.folder / "more.csv").write_text(MORE_CSV)
    assert ws.okr("ingest", "more.csv").code == 0
    assert ws.append(LATE_GOALS).code == 0
    incremental = ws.okr("build")
    assert incremental.code == 0, incremental.err
    ran = work_dir(ws.url) / "target" / "run" / "okr_plugin" / "models"
    # the incremental path ran: a delete+insert of the touched rows, not a rebuild
    for model in ("intermediate/int_okr__kpi_daily_segments.sql", "marts/okr_kpi_rollups.sql"):
        assert "delete from" in (ran / model).read_text().lower(), model
    after_incremental = marts(ws, LINEAGE, TABLES)
    assert after_incremental != before  # the new rows arrived

    full = ws.okr("build", "--full-refresh")
    assert full.code == 0, full.err
    assert marts(ws, LINEAGE, TABLES) == after_incremental

    # and the numbers, by hand: week of 29 Dec was 20 + 5 + 30 + 7 = 62; the correction makes
    # 1 January's us 31 (+1) and the late fr row adds 9: 72.
    week = ws.rows(
        "select value from okr_kpi_rollups where kpi_id = 'k-sum' and grain = 'week'"
        " and segment = 'all' and period_start = '2025-12-29'"
    )
    assert week[0]["value"] == 72
    # the target changed late: k-sum's weeks are measured against 200 (72 / 200 = 0.36)
    week = ws.rows(
        "select target_value, attainment from okr_kpi_rollups where kpi_id = 'k-sum'"
        " and grain = 'week' and segment = 'all' and period_start = '2025-12-29'"
    )
    assert (week[0]["target_value"], week[0]["attainment"]) == (200, 0.36)
    # k-early, defined late (max): January 5, February 7, against its monthly target of 10
    months = ws.rows(
        "select period_start, value, attainment from okr_kpi_rollups where kpi_id = 'k-early'"
        " and grain = 'month' and segment = 'all' order by period_start"
    )
    assert [(r["value"], r["attainment"]) for r in months] == [(5, 0.5), (7, 0.7)]


def test_incremental_after_an_as_of_build_equals_full_refresh(duckdb_workspace: Workspace) -> None:
    """A build with `as_of` leaves tables of what was visible then, then a plain build goes on
    incrementally from there: it takes the rows observed or recorded after that moment, though
    they were stored (with lower sequence numbers) before it ran."""
    ws = duckdb_workspace
    assert ws.append(GOALS).code == 0
    (ws.folder / "sum.csv").write_text(SUM_CSV)
    (ws.folder / "last.jsonl").write_text(LAST_JSONL)
    # line 2: recorded in December for 2 February (a forecast, or a clock off by a zone):
    # invisible at the as_of build, stored before line 3, which it sees; line 4: k-avg's only
    # observation, seen by the as_of build in periods not complete then (week, month...) and
    # recorded over a day before line 3 (outside the lookback: not recomputed later)
    (ws.folder / "ahead.csv").write_text(
        "client_id,kpi_id,observed_at,value,recorded_at\n"
        "acme,k-sum,2026-02-02T00:00:00Z,50,2025-12-20T00:00:00Z\n"
        "acme,k-sum,2026-01-02T00:00:00Z,3,2026-01-03T12:00:00Z\n"
        "acme,k-avg,2026-01-01T10:00:00Z,8,2026-01-01T11:00:00Z\n"
    )
    assert ws.okr("ingest", "sum.csv", "last.jsonl", "ahead.csv").code == 0
    assert ws.okr("build", "--as-of", "2026-01-03").code == 0
    as_of = marts(ws, LINEAGE, TABLES)
    incremental = ws.okr("build")
    assert incremental.code == 0, incremental.err
    after_incremental = marts(ws, LINEAGE, TABLES)
    assert after_incremental != as_of
    # k-avg's rows were not recomputed, yet describe this build: its week of 29 December
    # ended after the as_of build
    week = ws.rows(
        "select is_complete from okr_kpi_rollups where kpi_id = 'k-avg' and grain = 'week'"
    )
    assert [r["is_complete"] for r in week] == [True]
    assert len(ws.rows("select distinct as_of_at from okr_kpi_rollups")) == 1
    assert ws.okr("build", "--full-refresh").code == 0
    assert marts(ws, LINEAGE, TABLES) == after_incremental


def test_a_failed_test_says_which_marts_kept_their_rows(duckdb_workspace: Workspace) -> None:
    """dbt skips the models downstream of a failing test, so a failed build leaves some marts
    new and others as the previous build left them: `okr build` names both. A duplicate row
    slipped into an incremental model fails its key test; an objective appended since the
    last build shows in the marts listed as rebuilt, and in no mart listed as kept."""
    ws = duckdb_workspace
    assert ws.append(GOALS).code == 0
    (ws.folder / "sum.csv").write_text(SUM_CSV)
    assert ws.okr("ingest", "sum.csv").code == 0
    assert ws.okr("build").code == 0
    # the day recorded first: the next build's lookback (24 hours before the latest
    # recorded_at, 5 January) does not reach it, so the duplicate stays
    ws.execute(
        "insert into int_okr__kpi_daily_segments"
        " select * from int_okr__kpi_daily_segments order by max_recorded_at limit 1"
    )
    new = {"title": "New", "level": "team", "period": "2026-Q1"}
    assert ws.append([event("o-new", "objective_created", "o-new", JAN1, new)]).code == 0

    failed = ws.okr("build")
    assert failed.code == 1
    error = failed.err.strip().splitlines()[-1]
    assert error.startswith("okr: error: dbt build failed on ")
    assert "test okr_valid_rows_int_okr__kpi_daily_segments: Got 1 result" in error
    rebuilt = error.split("; rebuilt: ")[1].split(";")[0].split(", ")
    kept = error.split("; kept the previous build's rows: ")[1].split(" (log: ")[0].split(", ")
    assert sorted(rebuilt + kept) == mart_names()  # each mart named once
    assert "okr_event_log" in rebuilt and "okr_kpi_rollups" in kept
    for mart in ("okr_event_log", "okr_objectives", "okr_alignment", "okr_objective_daily"):
        column = "entity_id" if mart == "okr_event_log" else "objective_id"
        shown = ws.rows(f"select count(*) as n from {mart} where {column} = 'o-new'")
        assert (shown[0]["n"] > 0) == (mart in rebuilt), mart

    # the duplicate gone, the next build brings every mart up to date
    ws.execute(
        "delete from int_okr__kpi_daily_segments where rowid not in (select min(rowid)"
        " from int_okr__kpi_daily_segments group by all)"
    )
    repaired = ws.okr("build")
    assert repaired.code == 0, repaired.err
    for mart in ("okr_objectives", "okr_alignment", "okr_objective_daily"):
        assert ws.rows(f"select count(*) as n from {mart} where objective_id = 'o-new'")[0]["n"]
