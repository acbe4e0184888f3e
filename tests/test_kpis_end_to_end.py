"""KPI observations end to end: `okr ingest`, `okr build`, okr_kpi_rollups, okr_kpis and key
results fed by KPIs. Every expected number is worked out by hand in the comments.

Calendar: Monday 29 December 2025 starts ISO week 1 of 2026, so 29 December and 1 January
share a week while their months, quarters and years differ; 31 March / 1 April 2026 is a
quarter boundary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from conftest import Workspace, by_id, event

JAN1 = "2025-12-01T00:00:00Z"


def kpi(kpi_id: str, aggregation: str, **fields: Any) -> dict[str, Any]:
    return event(
        f"def-{kpi_id}",
        "kpi_defined",
        kpi_id,
        JAN1,
        {"name": kpi_id, "aggregation": aggregation, **fields},
    )


GOALS = [
    kpi("k-sum", "sum", target_value=100, target_grain="week", unit="visits"),
    kpi("k-last", "last", target_value=400, target_grain="quarter", unit="USD"),
    kpi("k-avg", "avg"),
    kpi("k-min", "min"),
    kpi("k-max", "max"),
    kpi("k-count", "count"),
    event(
        "o1",
        "objective_created",
        "o-q1",
        JAN1,
        {"title": "Q1 traffic", "level": "company", "period": "2026-Q1", "owner": "anna"},
    ),
    # fed by k-sum, period to date from 1 January
    event(
        "kr1",
        "key_result_created",
        "kr-visits",
        JAN1,
        {
            "objective_id": "o-q1",
            "title": "200 visits",
            "target_value": 200,
            "kpi_id": "k-sum",
            "owner": "ben",
        },
    ),
    event(
        "o2",
        "objective_created",
        "o-q2",
        JAN1,
        {"title": "Q2 revenue", "level": "company", "period": "2026-Q2", "owner": "anna"},
    ),
    # fed by k-last, the latest observation
    event(
        "kr2",
        "key_result_created",
        "kr-mrr",
        JAN1,
        {
            "objective_id": "o-q2",
            "title": "MRR 500",
            "target_value": 500,
            "kpi_id": "k-last",
            "kpi_window": "latest",
            "owner": "carla",
        },
    ),
]

SUM_CSV = """client_id,kpi_id,observed_at,value,source,segment,recorded_at
acme,k-sum,2025-12-28T12:00:00Z,10,ga4,us,2025-12-28T13:00:00Z
acme,k-sum,2025-12-29T12:00:00Z,20,ga4,us,2025-12-29T13:00:00Z
acme,k-sum,2025-12-29T12:00:00Z,5,ga4,de,2025-12-29T13:00:00Z
acme,k-sum,2026-01-01T12:00:00Z,30,ga4,us,2026-01-01T13:00:00Z
acme,k-sum,2026-01-01T12:00:00Z,7,ga4,,2026-01-01T13:00:00Z
acme,k-sum,2026-01-05T12:00:00Z,40,ga4,de,2026-01-05T13:00:00Z
"""

# k-last (a level, like MRR per region): eu 100 and us 200 on 30 March, eu 110 on the 31st,
# us 250 on 1 April, eu 120 on 2 April, corrected to 125 in a row recorded on 5 April.
LAST_JSONL = (
    "\n".join(
        f'{{"client_id": "acme", "kpi_id": "k-last", "observed_at": "{at}", "value": {v}, '
        f'"source": "stripe", "segment": "{seg}", "recorded_at": "{rec}"}}'
        for at, v, seg, rec in [
            ("2026-03-30T10:00:00Z", 100, "eu", "2026-03-30T11:00:00Z"),
            ("2026-03-30T10:00:00Z", 200, "us", "2026-03-30T11:00:00Z"),
            ("2026-03-31T10:00:00Z", 110, "eu", "2026-03-31T11:00:00Z"),
            ("2026-04-01T10:00:00Z", 250, "us", "2026-04-01T11:00:00Z"),
            ("2026-04-02T10:00:00Z", 120, "eu", "2026-04-02T11:00:00Z"),
            ("2026-04-02T10:00:00Z", 125, "eu", "2026-04-05T09:00:00Z"),
        ]
    )
    + "\n"
)


def _write_rule_parquet(path: Path) -> None:
    # the same three observations on 10 February for k-avg, k-min, k-max and k-count:
    # 10 and 20 (us), 60 (de)
    rows = ", ".join(
        f"('acme', '{k}', timestamp '2026-02-10 {h}:00:00', {v}, 'hubspot', '{s}',"
        f" timestamp '2026-02-10 23:00:00')"
        for k in ("k-avg", "k-min", "k-max", "k-count")
        for h, v, s in (("09", 10, "us"), ("10", 20, "us"), ("11", 60, "de"))
    )
    with duckdb.connect() as conn:
        conn.execute(
            f"copy (select * from (values {rows}) as t(client_id, kpi_id, observed_at, value,"
            f" source, segment, recorded_at)) to '{path}' (format parquet)"
        )


def _snapshot(ws: Workspace, as_of: str | None) -> dict[str, Any]:
    build = ws.okr("build", *(["--as-of", as_of] if as_of else []))
    assert build.code == 0, build.err
    rollups = {
        (r["kpi_id"], r["grain"], str(r["period_start"]), r["segment"]): r
        for r in ws.rows("select * from okr_kpi_rollups")
    }
    return {
        "rollups": rollups,
        "kpis": by_id(ws.rows("select * from okr_kpis"), "kpi_id"),
        "kr": by_id(ws.rows("select * from okr_key_results"), "key_result_id"),
    }


@pytest.fixture(scope="module")
def built(module_duckdb: Workspace) -> dict[str, Any]:
    ws = module_duckdb
    assert ws.append(GOALS).code == 0
    (ws.folder / "sum.csv").write_text(SUM_CSV)
    (ws.folder / "last.jsonl").write_text(LAST_JSONL)
    _write_rule_parquet(ws.folder / "rules.parquet")
    run = ws.okr("ingest", "sum.csv", "last.jsonl", "rules.parquet")
    # 6 + 6 + 12 rows in, all accepted
    assert run.code == 0 and "24 observations in: 24 accepted, 0 duplicate, 0 rejected" in run.out
    return {
        "apr3": _snapshot(ws, "2026-04-03"),
        "now": _snapshot(ws, None),
        "workspace": ws,
    }


def value(snap: dict[str, Any], kpi_id: str, grain: str, start: str, segment: str = "all") -> Any:
    return snap["rollups"][(kpi_id, grain, start, segment)]


def test_iso_weeks_cross_the_year(built: dict[str, Any]) -> None:
    snap = built["now"]
    # week of Mon 22 Dec 2025: 10; week of Mon 29 Dec: 20 + 5 + 30 + 7 = 62 (1 January is in
    # it); week of 5 January: 40.
    assert value(snap, "k-sum", "week", "2025-12-22")["value"] == 10
    week = value(snap, "k-sum", "week", "2025-12-29")
    assert (week["value"], week["observation_count"], str(week["period_end"])) == (
        62,
        4,
        "2026-01-04",
    )
    # change against the week before: 62 - 10 = 52, 52 / 10 = 5.2; target 100 a week: 0.62
    assert (week["previous_value"], week["change_abs"]) == (10, 52)
    assert week["change_rate"] == pytest.approx(5.2)
    assert (week["target_value"], week["attainment"]) == (100, pytest.approx(0.62))
    nxt = value(snap, "k-sum", "week", "2026-01-05")
    # 40 - 62 = -22; -22 / 62 = -0.3548...
    assert (nxt["value"], nxt["change_abs"]) == (40, -22)
    assert nxt["change_rate"] == pytest.approx(-22 / 62)


def test_segments_and_observations_without_one(built: dict[str, Any]) -> None:
    snap = built["now"]
    # us in the week of 29 Dec: 20 + 30 = 50; de: 5; the 7 without a segment counts only in 'all'
    assert value(snap, "k-sum", "week", "2025-12-29", "us")["value"] == 50
    assert value(snap, "k-sum", "week", "2025-12-29", "de")["value"] == 5
    segments = {k[3] for k in snap["rollups"] if k[0] == "k-sum"}
    assert segments == {"us", "de", "all"}
    # de week of 5 January: 40, previous week 5: change 35, rate 35 / 5 = 7.0
    de = value(snap, "k-sum", "week", "2026-01-05", "de")
    assert (de["previous_value"], de["change_abs"], de["change_rate"]) == (5, 35, 7.0)
    # us has no week of 5 January at all: a row exists only where there are observations
    assert ("k-sum", "week", "2026-01-05", "us") not in snap["rollups"]


def test_months_quarters_years_and_missing_previous_periods(built: dict[str, Any]) -> None:
    snap = built["now"]
    # December 2025: 10 + 20 + 5 = 35; January 2026: 30 + 7 + 40 = 77; 42 more, 42 / 35 = 1.2
    jan = value(snap, "k-sum", "month", "2026-01-01")
    assert (jan["value"], jan["previous_value"], jan["change_abs"]) == (77, 35, 42)
    assert jan["change_rate"] == pytest.approx(1.2)
    assert jan["target_value"] is None and jan["attainment"] is None  # target is weekly
    assert value(snap, "k-sum", "quarter", "2025-10-01")["value"] == 35
    assert value(snap, "k-sum", "quarter", "2026-01-01")["value"] == 77
    assert value(snap, "k-sum", "year", "2025-01-01")["value"] == 35
    assert value(snap, "k-sum", "year", "2026-01-01")["previous_value"] == 35
    # 1 January: 30 + 7 = 37; 31 December has no observation, so no previous value
    day = value(snap, "k-sum", "day", "2026-01-01")
    assert (day["value"], day["previous_value"], day["change_rate"]) == (37, None, None)


def test_each_aggregation_rule(built: dict[str, Any]) -> None:
    snap = built["now"]
    # 10, 20 (us) and 60 (de) on 10 February
    expected = {
        "k-avg": (30, 15, 60),  # (10 + 20 + 60) / 3; us (10 + 20) / 2; de 60
        "k-min": (10, 10, 60),
        "k-max": (60, 20, 60),
        "k-count": (3, 2, 1),
    }
    for kpi_id, (everything, us, de) in expected.items():
        assert value(snap, kpi_id, "day", "2026-02-10")["value"] == everything, kpi_id
        assert value(snap, kpi_id, "month", "2026-02-01", "us")["value"] == us, kpi_id
        assert value(snap, kpi_id, "year", "2026-01-01", "de")["value"] == de, kpi_id


def test_last_sums_each_segments_latest_and_corrections_follow_as_of(
    built: dict[str, Any],
) -> None:
    # Q1: eu's latest is 110 (31 March), us's is 200 (30 March): 110 + 200 = 310; target 400
    # a quarter: 310 / 400 = 0.775.
    for snap in (built["apr3"], built["now"]):
        q1 = value(snap, "k-last", "quarter", "2026-01-01")
        assert (q1["value"], q1["attainment"]) == (310, pytest.approx(0.775))
        assert value(snap, "k-last", "quarter", "2026-01-01", "eu")["value"] == 110
    # Q2 as of 3 April: the correction of 2 April was recorded on the 5th, invisible:
    # eu 120 + us 250 = 370, 60 up on 310: 60 / 310; the quarter is not over, Q1 is.
    q2 = value(built["apr3"], "k-last", "quarter", "2026-04-01")
    assert (q2["value"], q2["change_abs"]) == (370, 60)
    assert q2["change_rate"] == pytest.approx(60 / 310)
    assert q2["is_complete"] is False
    assert value(built["apr3"], "k-last", "quarter", "2026-01-01")["is_complete"] is True
    # built now, the correction wins (recorded last): 125 + 250 = 375; 375 / 400 = 0.9375
    q2_now = value(built["now"], "k-last", "quarter", "2026-04-01")
    assert (q2_now["value"], q2_now["attainment"]) == (375, pytest.approx(0.9375))
    assert q2_now["is_complete"] is True
    # the corrected fact is one observation, not two: 2 April holds 1 (eu)
    assert value(built["now"], "k-last", "day", "2026-04-02")["observation_count"] == 1


def test_kpi_catalog(built: dict[str, Any]) -> None:
    kpis = built["apr3"]["kpis"]
    # k-last judged at its target grain, quarter: Q2 so far 370 of 400 -> not met
    last = kpis["k-last"]
    assert (last["status_grain"], str(last["status_period_start"])) == ("quarter", "2026-04-01")
    assert (last["status_value"], last["status"]) == (370, "not_met")
    # k-sum at week: the latest week (5 January) 40 of 100 -> not met
    assert (kpis["k-sum"]["status_value"], kpis["k-sum"]["status"]) == (40, "not_met")
    # no target: judged by month, no_target
    assert kpis["k-avg"]["status"] == "no_target"
    assert kpis["k-count"]["observation_count"] == 3


def test_key_results_fed_by_kpis(built: dict[str, Any]) -> None:
    kr = built["apr3"]["kr"]
    # kr-visits: k-sum from the window start (1 January) to the end of 31 March:
    # 30 + 7 + 40 = 77 of 200 -> 0.385. The quarter is over (as of 3 April): closed.
    visits = kr["kr-visits"]
    assert (visits["current_value"], visits["value_source"]) == (77, "kpi")
    assert visits["score"] == pytest.approx(0.385)
    assert visits["health"] == "closed"
    # kr-mrr, latest: the latest k-last observation by 3 April, eu 120 on 2 April:
    # 120 / 500 = 0.24. Q2 is 91 days, 3 elapsed: expected 3 / 91; 0.24 is ahead: on_track.
    mrr = kr["kr-mrr"]
    assert (mrr["current_value"], mrr["score"]) == (120, pytest.approx(0.24))
    assert mrr["expected_progress"] == pytest.approx(3 / 91)
    assert mrr["health"] == "on_track"
    # built now: the correction, 125 / 500 = 0.25
    assert built["now"]["kr"]["kr-mrr"]["score"] == pytest.approx(0.25)


def test_reingest_adds_nothing_and_bad_rows_are_kept(built: dict[str, Any]) -> None:
    ws: Workspace = built["workspace"]
    again = ws.okr("ingest", "sum.csv", "last.jsonl", "rules.parquet")
    assert (
        again.code == 0 and "24 observations in: 0 accepted, 24 duplicate, 0 rejected" in again.out
    )
    (ws.folder / "bad.csv").write_text(
        "client_id,kpi_id,observed_at,value,source,segment\n"  # line 1
        "acme,k-sum,2026-01-06,12,ga4,us\n"  # 2: accepted
        "\n"  # 3: blank, not a row
        "acme,k-sum,2026-01-06,twelve,ga4,us\n"  # 4: not a number
        "acme,,2026-01-06,12,ga4,us\n"  # 5: no kpi_id
        "acme,k-sum,06/01/2026,12,ga4,us\n"  # 6: not a timestamp
        "acme,k-sum,2026-01-06,inf,ga4,us\n"  # 7: not finite
        "acme,k-sum,2026-01-06,12,ga4,us,extra\n"  # 8: too many columns
        "client_id,kpi_id,observed_at,value,source,segment\n"  # 9: a stray header
        "acme,k-unknown,2026-01-06,1,ga4,us\n"  # 10: no such KPI: stored, flagged later
    )
    run = ws.okr("ingest", "bad.csv")
    # 8 rows in (lines 2 and 4-10; the blank line is not one) = 2 accepted (lines 2 and 10)
    # + 0 duplicate + 6 rejected (lines 4-9)
    assert run.code == 3
    assert "8 observations in: 2 accepted, 0 duplicate, 6 rejected" in run.out
    rejected = ws.rows(
        "select line_no, reason from okr_rejected_events where source = 'bad.csv' order by line_no"
    )
    assert [r["line_no"] for r in rejected] == [4, 5, 6, 7, 8, 9]
    reasons = [r["reason"] for r in rejected]
    assert "value twelve is not a number" in reasons[0]
    assert "kpi_id is required" in reasons[1]
    assert "observed_at 06/01/2026 is not a timestamp" in reasons[2]
    assert "value inf is not a finite number" in reasons[3]
    assert "does not parse as CSV" in reasons[4]
    assert "observed_at observed_at is not a timestamp" in reasons[5]
    stored = ws.rows("select count(*) as n from okr_observations where kpi_id = 'k-unknown'")
    assert stored[0]["n"] == 1


def test_extra_observation_relations_are_unioned_in(workspace: Workspace) -> None:
    ws = workspace
    assert ws.append(GOALS).code == 0
    (ws.folder / "sum.csv").write_text(SUM_CSV)
    assert ws.okr("ingest", "sum.csv").code == 0
    schema = "main" if ws.kind == "duckdb" else "public"
    # A relation the agency already has (say, a model over its GA4 export).
    engine = sa.create_engine(ws.url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"create table {schema}.ga4_kpis as"
                " select 'ga4-1' as event_id, 'acme' as client_id, 'k-sum' as kpi_id,"
                " cast('2026-01-02 08:00:00' as timestamp) as observed_at,"
                " cast(100 as double precision) as value, 'ga4' as source,"
                " cast('us' as varchar) as segment,"
                " cast('2026-01-02 09:00:00' as timestamp) as recorded_at"
                " union all"
                " select 'ga4-2', 'acme', 'k-sum', cast('2026-01-02 08:00:00' as timestamp),"
                " 1000, 'ga4', 'de', cast('2026-01-09 09:00:00' as timestamp)"
            )
        )
    engine.dispose()
    extra = f"{{okr_observation_relations: [{schema}.ga4_kpis]}}"
    assert ws.okr("build", "--vars", extra, "--as-of", "2026-01-05").code == 0
    # week of 29 Dec: 62 from the file + 100 from the relation; the 1,000 was recorded on
    # 9 January, after the as-of date: invisible.
    week = ws.rows(
        "select value from okr_kpi_rollups where kpi_id = 'k-sum' and grain = 'week'"
        " and segment = 'all' and period_start = '2025-12-29'"
    )
    assert week[0]["value"] == 162
    assert ws.okr("build", "--vars", extra).code == 0
    week = ws.rows(
        "select value from okr_kpi_rollups where kpi_id = 'k-sum' and grain = 'week'"
        " and segment = 'all' and period_start = '2025-12-29'"
    )
    assert week[0]["value"] == 1162
