"""The daily marts: one row per key result (objective) per day, equal to an `as_of` build for
that day on both clocks, built incrementally; and the annotations bridge. Every expected number
is worked out by hand in the comments (2026-Q3 has 92 days).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import pytest

from conftest import Workspace, by_id, event

Q3 = "2026-07-01T09:00:00Z"
FIGURES = [
    "target_value",
    "start_value",
    "current_value",
    "progress",
    "score",
    "computed_score",
    "grade",
    "expected_progress",
    "health",
    "confidence",
    "value_source",
    "value_event_id",
    "forecast_method",
    "forecast_days",
    "horizon_days",
    "projected_value",
    "projected_value_low",
    "projected_value_high",
    "projected_progress",
    "projected_progress_low",
    "projected_progress_high",
    "projected_score",
    "projected_grade",
    "probability_of_target",
    "probability_of_green",
    "current_pace",
    "required_pace",
]
OBJECTIVE_FIGURES = [
    "score",
    "grade",
    "expected_progress",
    "health",
    "key_result_count",
    "projected_score",
    "projected_green_count",
]


def goals() -> list[dict[str, Any]]:
    return [
        event(
            "o1",
            "objective_created",
            "o1",
            Q3,
            {"title": "Grow", "level": "team", "period": "2026-Q3", "owner": "anna"},
        ),
        event("k", "kpi_defined", "visits", Q3, {"name": "Visits", "aggregation": "sum"}),
        event(
            "kr1",
            "key_result_created",
            "kr1",
            Q3,
            {"objective_id": "o1", "title": "Trials", "target_value": 1000},
        ),
        event(
            "kr2",
            "key_result_created",
            "kr2",
            Q3,
            {"objective_id": "o1", "title": "Visits", "target_value": 1000, "kpi_id": "visits"},
        ),
        event("c1", "key_result_checked_in", "kr1", "2026-07-10T12:00:00Z", {"value": 300}),
        # measured on the 12th, recorded on the 20th: invisible until then
        event(
            "c2",
            "key_result_checked_in",
            "kr1",
            "2026-07-12T12:00:00Z",
            {"value": 500},
            recorded_at="2026-07-20T08:00:00Z",
        ),
        # decided on the 14th, recorded on the 18th
        event(
            "t1",
            "key_result_target_changed",
            "kr1",
            "2026-07-14T12:00:00Z",
            {"target_value": 800},
            recorded_at="2026-07-18T08:00:00Z",
        ),
        event(
            "a1",
            "annotation_added",
            "an-ga4",
            Q3,
            {
                "text": "GA4 migration",
                "category": "tracking",
                "starts_on": "2026-07-05",
                "ends_on": "2026-07-07",
                "kpi_id": "visits",
            },
        ),
        event(
            "a2",
            "annotation_added",
            "an-heat",
            Q3,
            {"text": "Heatwave", "category": "external", "starts_on": "2026-07-13"},
        ),
        event("a3", "annotation_added", "an-gone", Q3, {"text": "typo", "starts_on": "2026-07-13"}),
        event("a4", "annotation_removed", "an-gone", "2026-07-02T09:00:00Z"),
    ]


OBSERVATIONS = (
    "event_id,client_id,kpi_id,observed_at,value,recorded_at\n"
    "v1,acme,visits,2026-07-05T10:00:00Z,100,2026-07-05T11:00:00Z\n"
    "v2,acme,visits,2026-07-06T10:00:00Z,200,2026-07-06T11:00:00Z\n"
    "v3,acme,visits,2026-07-13T10:00:00Z,300,2026-07-13T11:00:00Z\n"
    # the 13th corrected on the 16th
    "v3-fixed,acme,visits,2026-07-13T10:00:00Z,150,2026-07-16T09:00:00Z\n"
)


def daily(ws: Workspace) -> dict[tuple[str, str], dict[str, Any]]:
    rows = ws.rows("select * from okr_key_result_daily")
    return {(row["key_result_id"], str(row["date_day"])): row for row in rows}


def objective_daily(ws: Workspace) -> dict[str, dict[str, Any]]:
    rows = ws.rows("select * from okr_objective_daily where objective_id = 'o1'")
    return {str(row["date_day"]): row for row in rows}


def append_late_check_in(ws: Workspace) -> None:
    """A check-in of kr1 measured on 17 July, recorded on the 19th, appended today: 400."""
    late = event(
        "c3",
        "key_result_checked_in",
        "kr1",
        "2026-07-17T12:00:00Z",
        {"value": 400},
        recorded_at="2026-07-19T08:00:00Z",
    )
    assert ws.append([late], name="late.jsonl").code == 0


def load_and_build(ws: Workspace) -> Workspace:
    assert ws.append(goals()).code == 0
    (ws.folder / "visits.csv").write_text(OBSERVATIONS)
    assert ws.okr("ingest", str(ws.folder / "visits.csv")).code == 0
    run = ws.okr("build")  # as of now (2026-11-28 or later): the whole quarter
    assert run.code == 0, run.err
    return ws


@pytest.fixture(scope="module")
def built(module_duckdb: Workspace) -> Workspace:
    """Read by the tests below; rebuilt by one of them as of days of the quarter, which leaves
    the same daily marts (every record of the scenario was recorded in July)."""
    return load_and_build(module_duckdb)


def test_daily_series_worked_by_hand(built: Workspace) -> None:
    rows = daily(built)
    # one row per key result per day of the quarter: 2 x 92
    assert len(rows) == 2 * 92

    def kr(key: str, day: str) -> tuple[Any, ...]:
        row = rows[(key, day)]
        return (row["target_value"], row["current_value"], row["score"], row["value_source"])

    # kr1, check-ins, start 0
    assert kr("kr1", "2026-07-09") == (1000, 0, 0, "start_value")  # nothing checked in yet
    assert kr("kr1", "2026-07-10") == (1000, 300, pytest.approx(0.3), "check_in")  # 300 / 1000
    # the 12th's check-in and the 14th's new target were not recorded by the 15th
    assert kr("kr1", "2026-07-15") == (1000, 300, pytest.approx(0.3), "check_in")
    assert kr("kr1", "2026-07-18") == (800, 300, pytest.approx(0.375), "check_in")  # 300 / 800
    assert kr("kr1", "2026-07-20") == (800, 500, pytest.approx(0.625), "check_in")  # 500 / 800
    # kr2, the KPI's sum since 1 July
    assert kr("kr2", "2026-07-04") == (1000, 0, 0, "start_value")
    assert kr("kr2", "2026-07-06") == (1000, 300, pytest.approx(0.3), "kpi")  # 100 + 200
    assert kr("kr2", "2026-07-15") == (1000, 600, pytest.approx(0.6), "kpi")  # + 300
    assert kr("kr2", "2026-07-16") == (1000, 450, pytest.approx(0.45), "kpi")  # 300 -> 150
    # expected progress on 20 July: 20 / 92; health: 0.625 >= 20/92 - 0.1 -> on_track
    assert rows[("kr1", "2026-07-20")]["expected_progress"] == pytest.approx(20 / 92)
    assert rows[("kr1", "2026-07-20")]["health"] == "on_track"
    # on 30 September, the last day, the whole window has elapsed: 1.0; 0.625 < 1 - 0.25
    assert rows[("kr1", "2026-09-30")]["expected_progress"] == pytest.approx(1.0)
    assert rows[("kr1", "2026-09-30")]["health"] == "off_track"

    objective = objective_daily(built)
    assert len(objective) == 92
    assert objective["2026-07-15"]["score"] == pytest.approx((0.3 + 0.6) / 2)  # 0.45
    assert objective["2026-07-16"]["score"] == pytest.approx((0.3 + 0.45) / 2)  # 0.375
    assert objective["2026-07-18"]["score"] == pytest.approx((0.375 + 0.45) / 2)  # 0.4125
    assert objective["2026-07-20"]["score"] == pytest.approx((0.625 + 0.45) / 2)  # 0.5375
    assert objective["2026-07-20"]["grade"] == "yellow"  # 0.4 <= 0.5375 < 0.7


def test_forecast_accuracy_worked_by_hand(built: Workspace) -> None:
    assert built.okr("build").code == 0  # as of now: the quarter has ended
    z80 = 1.2815515655

    def forecast(steps: dict[int, float], n: int, h: int, target: float) -> dict[str, float]:
        """The drift forecast of day n from 0 (both start at 0): steps[k] = v_k - v_(k-1)."""
        value = sum(step for day, step in steps.items() if day <= n)
        d = value / n
        s2 = (sum(step**2 for day, step in steps.items() if day <= n) - n * d**2) / (n - 1)
        spread = math.sqrt(s2 * h * (1 + h / n))
        projected = value + h * d
        odds = 1 - NormalDist(projected, spread).cdf(target)
        return {
            "low": projected - z80 * spread,
            "high": projected + z80 * spread,
            "progress": projected / target,
            "odds": odds,
        }

    # Q3 has 92 days; 25%, 50% and 75% of it had elapsed on days ceil(23) = 23 (23 July),
    # 46 (15 August) and 69 (7 September): h = 69, 46 and 23.
    # kr1 (check-ins, start 0): 300 on day 10, 500 on day 20 (the 12th's, recorded the 20th);
    # its target 800 from the 18th. Final value 500: progress 500 / 800 = 0.625, not met.
    # kr2 (KPI sum, target 1,000): +100 on day 5, +200 day 6, +300 day 13, -150 day 16 (the
    # correction). Final value 450: progress 0.45, not met.
    kr1 = {10: 300.0, 20: 200.0}
    kr2 = {5: 100.0, 6: 200.0, 13: 300.0, 16: -150.0}
    expected = {}
    for share, n in ((0.25, 23), (0.5, 46), (0.75, 69)):
        found = [forecast(kr1, n, 92 - n, 800), forecast(kr2, n, 92 - n, 1000)]
        finals = [(500, 0.625), (450, 0.45)]
        expected[share] = {
            "forecasts": 2,
            "band_coverage": sum(
                f["low"] <= v <= f["high"] for f, (v, _) in zip(found, finals, strict=True)
            )
            / 2,
            "mean_absolute_error": sum(
                abs(f["progress"] - p) for f, (_, p) in zip(found, finals, strict=True)
            )
            / 2,
            # neither was met: (odds - 0)^2
            "brier_score": sum(f["odds"] ** 2 for f in found) / 2,
        }
    # e.g. kr1 on day 23: d = 500 / 23, s^2 = (300^2 + 200^2 - 23 d^2) / 22 = 5,415.02, spread
    # sqrt(5,415.02 x 69 x 4) = 1,222.5, projected 500 + 69 d = 2,000: band 433 - 3,567 holds
    # 500; progress 2,000 / 800 = 2.5, off by 1.875; odds of 800: 0.837.
    assert expected[0.25]["band_coverage"] == 1.0
    rows = built.rows("select * from okr_forecast_accuracy order by scope, elapsed_share")
    # one client, one period: the period, client and overall rows agree
    assert [(r["scope"], r["client_id"], r["period"]) for r in rows] == (
        [("client", "acme", None)] * 3
        + [("overall", None, None)] * 3
        + [("period", "acme", "2026-Q3")] * 3
    )
    for row in rows:
        want = expected[row["elapsed_share"]]
        assert {k: row[k] for k in want} == {k: pytest.approx(v) for k, v in want.items()}, row


def test_annotations_bridge_the_daily_marts(built: Workspace) -> None:
    rows = built.rows(
        "select annotation_id, subject_type, coalesce(key_result_id, objective_id) as subject,"
        " cast(date_day as varchar) as day from okr_annotation_days"
    )
    found = sorted((r["annotation_id"], r["subject"], r["day"]) for r in rows)
    # GA4 migration, about the visits KPI, 5-7 July: kr2 (fed by it) and its objective o1;
    # the heatwave, about the whole client, on the 13th: kr1, kr2 and o1; the removed one: none.
    ga4 = [("an-ga4", s, f"2026-07-0{d}") for s in ("kr2", "o1") for d in (5, 6, 7)]
    heat = [("an-heat", s, "2026-07-13") for s in ("kr1", "kr2", "o1")]
    assert found == sorted(ga4 + heat)
    # the join a chart makes: the dip of 6 July beside its explanation
    joined = built.rows(
        "select d.current_value, a.annotation_text from okr_key_result_daily d"
        " join okr_annotation_days a on a.client_id = d.client_id"
        " and a.key_result_id = d.key_result_id and a.date_day = d.date_day"
        " where d.key_result_id = 'kr2' and d.date_day = date '2026-07-06'"
    )
    assert joined == [{"current_value": 300.0, "annotation_text": "GA4 migration"}]


def test_each_day_equals_an_as_of_build_for_that_day(built: Workspace) -> None:
    ws = built
    key_results = daily(ws)
    objectives = objective_daily(ws)
    # the days around every late record: before and after each becomes known, and the last day
    for day in ["2026-07-15", "2026-07-16", "2026-07-20", "2026-09-30"]:
        run = ws.okr("build", "--as-of", day)
        assert run.code == 0, run.err
        for row in ws.rows("select * from okr_key_results"):
            expected = {f: row[f] for f in FIGURES}
            assert {f: key_results[(row["key_result_id"], day)][f] for f in FIGURES} == expected, (
                day
            )
        current = by_id(ws.rows("select * from okr_objectives"), "objective_id")["o1"]
        assert {f: objectives[day][f] for f in OBJECTIVE_FIGURES} == {
            f: current[f] for f in OBJECTIVE_FIGURES
        }, day


def test_incremental_build_adds_only_what_changed(duckdb_workspace: Workspace) -> None:
    # a warehouse of its own: the late check-in changes the marts
    ws = load_and_build(duckdb_workspace)
    append_late_check_in(ws)
    assert ws.okr("build").code == 0
    # only the days from the 19th, when it became known, were computed again
    first = ws.rows("select min(date_day) as first_day from int_okr__slices")
    assert str(first[0]["first_day"]) == "2026-07-19"
    incremental = daily(ws)
    # 19 July: c3 (the 17th) is the latest: 400 / 800 = 0.5; on the 20th c2 arrives but was
    # measured on the 12th, before c3: still 400. The 18th is untouched: 300 / 800.
    assert incremental[("kr1", "2026-07-19")]["current_value"] == 400
    assert incremental[("kr1", "2026-07-20")]["score"] == pytest.approx(0.5)
    assert incremental[("kr1", "2026-07-18")]["score"] == pytest.approx(0.375)

    assert ws.okr("build", "--full-refresh").code == 0
    assert ws.rows("select min(date_day) as d from int_okr__slices")[0]["d"] < first[0]["first_day"]
    full = daily(ws)
    assert full.keys() == incremental.keys()
    for key, row in full.items():
        assert {f: incremental[key][f] for f in FIGURES} == {f: row[f] for f in FIGURES}, key


def test_a_build_that_did_not_finish_is_redone_by_the_next(duckdb_workspace: Workspace) -> None:
    from okr_plugin.build import DbtProject

    ws = duckdb_workspace
    assert ws.append(goals()).code == 0
    assert ws.okr("build").code == 0
    append_late_check_in(ws)
    # what a build stopped after int_okr__slices leaves: slices moved on, the marts did not
    project = DbtProject(ws.url)
    (project.folder / "build-unfinished").touch()
    project.run("build", options=["--select", "int_okr__slices"])
    assert ws.okr("build").code == 0
    # 19 July: c3 (measured on the 17th, known from the 19th) is the latest check-in
    assert daily(ws)[("kr1", "2026-07-19")]["current_value"] == 400
    assert not (project.folder / "build-unfinished").exists()
    # the first observations after builds that had none reach the days they were known on:
    # kr2 sums visits from 1 July, on 6 July 100 (the 5th) + 200 (the 6th) = 300
    (ws.folder / "visits.csv").write_text(OBSERVATIONS)
    assert ws.okr("ingest", str(ws.folder / "visits.csv")).code == 0
    assert ws.okr("build").code == 0
    assert daily(ws)[("kr2", "2026-07-06")]["current_value"] == 300
