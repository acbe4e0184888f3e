"""History and insight: the final grade, the event log, annotations and the bitemporal proof.
Every expected number is worked out by hand in the comments.
"""

from __future__ import annotations

import pytest

from conftest import LOAD_ORDER, Workspace, by_id, event, marts

Q3 = "2026-07-01T09:00:00Z"
T = "2026-08-15"  # the day the report was made


def goals() -> list[dict[str, object]]:
    return [
        event(
            "o1",
            "objective_created",
            "o1",
            Q3,
            {"title": "Grow", "level": "team", "period": "2026-Q3", "owner": "anna"},
        ),
        event(
            "kr1",
            "key_result_created",
            "kr1",
            Q3,
            {"objective_id": "o1", "title": "Trials", "target_value": 1500, "owner": "carla"},
        ),
        event(
            "kr2",
            "key_result_created",
            "kr2",
            Q3,
            {"objective_id": "o1", "title": "Visits", "target_value": 200, "owner": "ben"},
        ),
        event("c1", "key_result_checked_in", "kr1", "2026-08-01T12:00:00Z", {"value": 600}),
        event("c2", "key_result_checked_in", "kr2", "2026-08-01T12:00:00Z", {"value": 50}),
        event(
            "t1",
            "key_result_target_changed",
            "kr1",
            "2026-08-10T12:00:00Z",
            {"target_value": 1200, "reason": "trade show took priority"},
            actor="anna",
        ),
        event(
            "a1",
            "annotation_added",
            "an-ga4",
            Q3,
            {
                "text": "GA4 migration",
                "category": "tracking",
                "starts_on": "2026-07-01",
                "ends_on": "2026-07-07",
                "kpi_id": "visits",
            },
        ),
        event(
            "a2",
            "annotation_added",
            "an-show",
            "2026-08-12T09:00:00Z",
            {"text": "Trade show", "starts_on": "2026-08-12", "key_result_id": "kr1"},
        ),
        event("a3", "annotation_added", "an-gone", Q3, {"text": "typo", "starts_on": "2026-07-02"}),
        event("a4", "annotation_removed", "an-gone", "2026-07-03T09:00:00Z"),
    ]


@pytest.fixture(scope="module")
def history(module_duckdb: Workspace) -> Workspace:
    ws = module_duckdb
    assert ws.append(goals()).code == 0
    built = ws.okr("build", "--as-of", T)
    assert built.code == 0, built.err
    return ws


def test_event_log_says_what_changed_from_what_and_why(history: Workspace) -> None:
    log = by_id(history.rows("select * from okr_event_log"), "event_id")
    assert len(log) == 10  # every goal event, annotations included
    assert log["t1"]["summary"] == (
        "target of 'Trials' changed from 1,500 to 1,200: trade show took priority"
    )
    assert log["t1"]["actor"] == "anna" and log["t1"]["entity_type"] == "key_result"
    assert log["c1"]["summary"] == "'Trials' checked in at 600"
    assert log["o1"]["summary"] == "objective 'Grow' created for 2026-Q3 (owner anna)"
    assert log["a1"]["summary"] == "annotation (tracking): GA4 migration"


def test_annotations_in_force(history: Workspace) -> None:
    notes = by_id(history.rows("select * from okr_annotations"), "annotation_id")
    assert set(notes) == {"an-ga4", "an-show"}  # an-gone was removed
    ga4 = notes["an-ga4"]
    assert (ga4["about"], ga4["kpi_id"], ga4["category"]) == ("kpi", "visits", "tracking")
    assert (str(ga4["starts_on"]), str(ga4["ends_on"])) == ("2026-07-01", "2026-07-07")
    show = notes["an-show"]
    # no ends_on: the one day it starts on
    assert (show["about"], str(show["ends_on"])) == ("key_result", "2026-08-12")


def test_final_grade_replaces_the_computed_score(duckdb_workspace: Workspace) -> None:
    ws = duckdb_workspace
    graded = event(
        "g1",
        "key_result_graded",
        "kr1",
        "2026-10-02T09:00:00Z",
        {"score": 0.9, "note": "the trade show was worth it"},
    )
    assert ws.append([*goals(), graded]).code == 0
    assert ws.okr("build", "--as-of", "2026-10-05").code == 0
    krs = by_id(ws.rows("select * from okr_key_results"), "key_result_id")
    # kr1: 600 of the target in effect 1,200 from 0: computed 600 / 1200 = 0.5; graded 0.9
    assert krs["kr1"]["computed_score"] == pytest.approx(0.5)
    assert krs["kr1"]["score"] == pytest.approx(0.9)
    assert (krs["kr1"]["value_source"], krs["kr1"]["value_event_id"]) == ("graded", "g1")
    # kr2: 50 / 200 = 0.25, not graded
    assert krs["kr2"]["score"] == pytest.approx(0.25)
    assert krs["kr2"]["value_source"] == "check_in"
    # the objective: (0.9 + 0.25) / 2 = 0.575, from the final grade
    objective = ws.rows("select score from okr_objectives where objective_id = 'o1'")[0]
    assert objective["score"] == pytest.approx(0.575)


def test_bitemporal_as_of_ignores_what_was_recorded_later(duckdb_workspace: Workspace) -> None:
    ws = duckdb_workspace
    assert ws.append(goals()).code == 0
    (ws.folder / "obs.csv").write_text(
        "event_id,client_id,kpi_id,observed_at,value,recorded_at\n"
        "v1,acme,visits,2026-08-05T10:00:00Z,100,2026-08-05T11:00:00Z\n"
    )
    assert ws.okr("ingest", str(ws.folder / "obs.csv")).code == 0
    assert (
        ws.append(
            [event("k", "kpi_defined", "visits", Q3, {"name": "V", "aggregation": "sum"})]
        ).code
        == 0
    )
    assert ws.okr("build", "--as-of", T).code == 0
    reported = marts(ws, LOAD_ORDER)

    # Recorded on 20 August, after T, about facts that occurred before T: a later check-in,
    # a target change, and a correction of the 5 August visits.
    late = "2026-08-20T09:00:00Z"
    corrections = [
        event(
            "c3",
            "key_result_checked_in",
            "kr1",
            "2026-08-12T12:00:00Z",
            {"value": 900},
            recorded_at=late,
        ),
        event(
            "t2",
            "key_result_target_changed",
            "kr2",
            "2026-08-14T12:00:00Z",
            {"target_value": 100},
            recorded_at=late,
        ),
    ]
    assert ws.append(corrections).code == 0
    (ws.folder / "late.csv").write_text(
        "event_id,client_id,kpi_id,observed_at,value,recorded_at\n"
        f"v1-fixed,acme,visits,2026-08-05T10:00:00Z,150,{late}\n"
    )
    assert ws.okr("ingest", str(ws.folder / "late.csv")).code == 0

    assert ws.okr("build", "--as-of", T).code == 0
    assert marts(ws, LOAD_ORDER) == reported  # what the report said on the 15th, exactly

    assert ws.okr("build", "--as-of", "2026-08-25").code == 0
    krs = by_id(ws.rows("select * from okr_key_results"), "key_result_id")
    # kr1: 900 / 1200 = 0.75 (the late check-in); kr2: 50 / 100 = 0.5 (the late target)
    assert krs["kr1"]["score"] == pytest.approx(0.75)
    assert krs["kr2"]["score"] == pytest.approx(0.5)
    day = ws.rows(
        "select value from okr_kpi_rollups where grain = 'day' and segment = 'all'"
        " and period_start = date '2026-08-05'"
    )
    assert day == [{"value": 150.0}]  # the correction, recorded last, wins
