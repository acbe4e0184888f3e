"""The scoring rules end to end: events through `okr append`, `okr build`, the marts.

Every expected number is worked out by hand in the comments, from the rules (docs/rules.md).
Period 2026-Q3 runs 1 July - 30 September: 92 days. At the end of 15 August, 31 (July) + 15 = 46
days have elapsed: expected progress 46 / 92 = 0.5. At the end of 11 August, 42 / 92.
Every event carries recorded_at = occurred_at (a backfill) unless the test says otherwise, so
`as_of` sees what happened by then.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import Workspace, by_id, event

Q3 = {"level": "company", "period": "2026-Q3", "owner": "anna"}
JUL1 = "2026-07-01T09:00:00Z"

SCENARIO = [
    # o-root: three key results here and the child objective o-team (weight 2).
    event("r1", "objective_created", "o-root", JUL1, {"title": "Scale", **Q3}),
    # k-inc: 1500 trials, 600 on 10 August, re-targeted to 1200 on 12 August.
    event(
        "r2",
        "key_result_created",
        "k-inc",
        JUL1,
        {"objective_id": "o-root", "title": "Trials", "target_value": 1500, "owner": "carla"},
    ),
    event(
        "r3",
        "key_result_checked_in",
        "k-inc",
        "2026-08-10T16:00:00Z",
        {"value": 600, "confidence": 0.8},
    ),
    event(
        "r4",
        "key_result_target_changed",
        "k-inc",
        "2026-08-12T09:00:00Z",
        {"target_value": 1200, "reason": "trade show took priority"},
    ),
    # k-dec: cost per lead from 100 down to 60 (direction inferred: decrease); 80 on 1 August.
    # A correction measured later that day, 70, was only recorded on 20 August.
    event(
        "r5",
        "key_result_created",
        "k-dec",
        JUL1,
        {
            "objective_id": "o-root",
            "title": "Cost per lead",
            "start_value": 100,
            "target_value": 60,
            "owner": "ben",
        },
    ),
    event("r6", "key_result_checked_in", "k-dec", "2026-08-01T09:00:00Z", {"value": 80}),
    event(
        "r7",
        "key_result_checked_in",
        "k-dec",
        "2026-08-01T12:00:00Z",
        {"value": 70},
        recorded_at="2026-08-20T08:00:00Z",
    ),
    # k-late: due 10 August; 30 on 5 August counts, 90 on 12 August is past the deadline.
    event(
        "r8",
        "key_result_created",
        "k-late",
        JUL1,
        {
            "objective_id": "o-root",
            "title": "Early launch",
            "target_value": 100,
            "due_date": "2026-08-10",
            "owner": "dan",
        },
    ),
    event("r9", "key_result_checked_in", "k-late", "2026-08-05T09:00:00Z", {"value": 30}),
    event("r10", "key_result_checked_in", "k-late", "2026-08-12T09:00:00Z", {"value": 90}),
    # k-gone: removed on 1 August; it leaves current state.
    event(
        "r11",
        "key_result_created",
        "k-gone",
        JUL1,
        {"objective_id": "o-root", "title": "Dropped", "target_value": 10, "owner": "dan"},
    ),
    event("r12", "key_result_removed", "k-gone", "2026-08-01T09:00:00Z"),
    # o-team under o-root with weight 2: a binary key result done and an at_most one.
    event(
        "r13",
        "objective_created",
        "o-team",
        JUL1,
        {
            "title": "Growth team",
            "level": "team",
            "period": "2026-Q3",
            "owner": "erik",
            "parent_objective_id": "o-root",
            "weight": 2,
        },
    ),
    event(
        "r14",
        "key_result_created",
        "k-bin",
        JUL1,
        {
            "objective_id": "o-team",
            "title": "Launch on TikTok",
            "scoring": "binary",
            "target_value": 1,
            "owner": "fay",
        },
    ),
    event("r15", "key_result_checked_in", "k-bin", "2026-08-03T09:00:00Z", {"value": True}),
    event(
        "r16",
        "key_result_created",
        "k-most",
        JUL1,
        {
            "objective_id": "o-team",
            "title": "Bounce rate",
            "direction": "at_most",
            "target_value": 20,
            "unit": "%",
            "owner": "erik",
        },
    ),
    event("r17", "key_result_checked_in", "k-most", "2026-08-06T09:00:00Z", {"value": 25}),
    # o-old: archived on 2 August; it and its key result leave.
    event(
        "r18",
        "objective_created",
        "o-old",
        JUL1,
        {
            "title": "Old plan",
            "level": "team",
            "period": "2026-Q3",
            "parent_objective_id": "o-root",
        },
    ),
    event(
        "r19",
        "key_result_created",
        "k-old",
        JUL1,
        {"objective_id": "o-old", "title": "Old KR", "target_value": 10, "owner": "x"},
    ),
    event("r20", "key_result_checked_in", "k-old", "2026-07-20T09:00:00Z", {"value": 0}),
    event("r21", "objective_archived", "o-old", "2026-08-02T09:00:00Z"),
    # o-range: an explicit period, 1-31 August (31 days), with an at_least key result.
    event(
        "r22",
        "objective_created",
        "o-range",
        JUL1,
        {
            "title": "August push",
            "level": "team",
            "period_start": "2026-08-01",
            "period_end": "2026-08-31",
            "owner": "gus",
        },
    ),
    event(
        "r23",
        "key_result_created",
        "k-least",
        JUL1,
        {
            "objective_id": "o-range",
            "title": "Demos a week",
            "direction": "at_least",
            "target_value": 50,
            "owner": "gus",
        },
    ),
    event("r24", "key_result_checked_in", "k-least", "2026-08-14T09:00:00Z", {"value": 40}),
    # Another client with the same ids: nothing crosses over.
    event("g1", "objective_created", "o-root", JUL1, {"title": "Globex", **Q3}, client_id="globex"),
    event(
        "g2",
        "key_result_created",
        "k-inc",
        JUL1,
        {"objective_id": "o-root", "title": "Done", "target_value": 10, "owner": "zed"},
        client_id="globex",
    ),
    event(
        "g3",
        "key_result_checked_in",
        "k-inc",
        "2026-07-02T09:00:00Z",
        {"value": 10},
        client_id="globex",
    ),
]


def _snapshot(ws: Workspace, as_of: str | None) -> dict[str, Any]:
    build = ws.okr("build", *(["--as-of", as_of] if as_of else []))
    assert build.code == 0, build.err
    return {
        "kr": by_id(
            ws.rows("select * from okr_key_results where client_id = 'acme'"), "key_result_id"
        ),
        "obj": by_id(
            ws.rows("select * from okr_objectives where client_id = 'acme'"), "objective_id"
        ),
        "align": by_id(
            ws.rows("select * from okr_alignment where client_id = 'acme'"), "objective_id"
        ),
        "globex": ws.rows("select * from okr_objectives where client_id = 'globex'"),
    }


@pytest.fixture(scope="module")
def built(module_duckdb: Workspace) -> dict[str, dict[str, Any]]:
    appended = module_duckdb.append(SCENARIO)
    assert appended.code == 0, appended.out + appended.err
    return {
        "aug15": _snapshot(module_duckdb, "2026-08-15"),
        "aug11": _snapshot(module_duckdb, "2026-08-11"),
        "aug01": _snapshot(module_duckdb, "2026-08-01"),
        "now": _snapshot(module_duckdb, None),
    }


def test_spectrum_key_result_uses_the_target_in_effect(built: dict[str, Any]) -> None:
    # 15 August: target 1200 in effect; 600 / 1200 = 0.5 >= 0.5 - 0.1 -> yellow, on_track.
    k = built["aug15"]["kr"]["k-inc"]
    assert (k["target_value"], k["current_value"]) == (1200, 600)
    assert k["progress"] == pytest.approx(0.5)
    assert k["score"] == pytest.approx(0.5)
    assert (k["grade"], k["health"]) == ("yellow", "on_track")
    assert k["expected_progress"] == pytest.approx(0.5)
    assert (k["value_source"], k["value_event_id"], k["confidence"]) == ("check_in", "r3", 0.8)


def test_as_of_before_the_retarget_sees_the_old_target(built: dict[str, Any]) -> None:
    # 11 August: the re-target of the 12th has not happened; 600 / 1500 = 0.4.
    # Expected 42 / 92 = 0.456...; 0.4 >= 0.456 - 0.1 -> on_track; 0.4 is yellow.
    k = built["aug11"]["kr"]["k-inc"]
    assert k["target_value"] == 1500
    assert k["score"] == pytest.approx(0.4)
    assert k["expected_progress"] == pytest.approx(42 / 92)
    assert (k["grade"], k["health"]) == ("yellow", "on_track")


def test_decrease_key_result_and_a_correction_recorded_later(built: dict[str, Any]) -> None:
    # As of 15 August the correction (recorded on the 20th) is unknown: (80 - 100) / (60 - 100)
    # = 0.5. Built now it shows: the 12:00 value 70 is the latest measured, (70 - 100) / (60 -
    # 100) = 0.75; the quarter is over, so the key result is closed.
    k = built["aug15"]["kr"]["k-dec"]
    assert (k["direction"], k["current_value"], k["score"]) == ("decrease", 80, 0.5)
    now = built["now"]["kr"]["k-dec"]
    assert (now["current_value"], now["value_event_id"]) == (70, "r7")
    assert now["score"] == pytest.approx(0.75)
    assert (now["health"], now["expected_progress"]) == ("closed", 1.0)


def test_check_ins_after_the_due_date_do_not_count(built: dict[str, Any]) -> None:
    # Due 10 August: the 90 of the 12th is ignored; 30 / 100 = 0.3 (red). Past the due date the
    # key result is closed, and its window (1 July - 10 August) has fully elapsed: 1.0.
    k = built["aug15"]["kr"]["k-late"]
    assert (k["current_value"], k["value_event_id"]) == (30, "r9")
    assert k["score"] == pytest.approx(0.3)
    assert (k["grade"], k["health"], k["expected_progress"]) == ("red", "closed", 1.0)
    assert str(k["due_date"]) == "2026-08-10"


def test_binary_and_at_most_and_at_least(built: dict[str, Any]) -> None:
    kr = built["aug15"]["kr"]
    # binary, checked in true: 1 >= 1 -> score 1, completed.
    assert (kr["k-bin"]["score"], kr["k-bin"]["progress"], kr["k-bin"]["health"]) == (
        1.0,
        1.0,
        "completed",
    )
    # at_most 20 at 25: 20 / 25 = 0.8, green, on_track.
    assert kr["k-most"]["progress"] == pytest.approx(0.8)
    assert kr["k-most"]["score"] == pytest.approx(0.8)
    assert (kr["k-most"]["grade"], kr["k-most"]["health"]) == ("green", "on_track")
    # at_least 50 at 40: 40 / 50 = 0.8; window 1-31 August, 15 of 31 days elapsed.
    assert kr["k-least"]["score"] == pytest.approx(0.8)
    assert kr["k-least"]["expected_progress"] == pytest.approx(15 / 31)
    assert kr["k-least"]["health"] == "on_track"


def test_removed_and_archived_leave_current_state(built: dict[str, Any]) -> None:
    snap = built["aug15"]
    assert "k-gone" not in snap["kr"]
    assert "k-old" not in snap["kr"] and "o-old" not in snap["obj"]
    assert "o-old" not in snap["align"]
    # As of 1 August, before its archiving on the 2nd, o-old was there with k-old at 0 / 10;
    # k-gone was removed at 09:00 on the 1st, so it is already gone at the end of that day.
    before = built["aug01"]
    assert "o-old" in before["obj"] and before["kr"]["k-old"]["score"] == 0.0
    assert "k-gone" not in before["kr"]


def test_objective_scores_are_weighted_means_of_their_children(built: dict[str, Any]) -> None:
    obj = built["aug15"]["obj"]
    # o-team = (1.0 + 0.8) / 2 = 0.9 -> green; 0.9 >= 0.5 - 0.1 -> on_track.
    assert obj["o-team"]["score"] == pytest.approx(0.9)
    assert (obj["o-team"]["grade"], obj["o-team"]["health"]) == ("green", "on_track")
    # o-root = (k-inc 0.5 + k-dec 0.5 + k-late 0.3 + 2 * o-team 0.9) / (1 + 1 + 1 + 2)
    #        = 3.1 / 5 = 0.62 -> yellow, on_track. o-old is archived and does not count.
    assert obj["o-root"]["score"] == pytest.approx(0.62)
    assert (obj["o-root"]["grade"], obj["o-root"]["health"]) == ("yellow", "on_track")
    assert obj["o-root"]["key_result_count"] == 3
    assert obj["o-root"]["expected_progress"] == pytest.approx(0.5)
    # o-range: only k-least, 0.8; its explicit period is labelled as an ISO interval.
    assert obj["o-range"]["score"] == pytest.approx(0.8)
    assert obj["o-range"]["period"] == "2026-08-01/2026-08-31"
    assert obj["o-range"]["expected_progress"] == pytest.approx(15 / 31)
    # 11 August: k-inc 0.4 -> (0.4 + 0.5 + 0.3 + 1.8) / 5 = 3.0 / 5 = 0.6.
    assert built["aug11"]["obj"]["o-root"]["score"] == pytest.approx(0.6)


def test_objectives_close_after_their_period(built: dict[str, Any]) -> None:
    # Built now (after 30 September 2026) the quarter is over: closed, expected progress 1.
    # o-root now = (k-inc 0.5 + k-dec 0.75 + k-late 0.3 + 2 * 0.9) / 5 = 3.35 / 5 = 0.67.
    root = built["now"]["obj"]["o-root"]
    assert (root["health"], root["expected_progress"]) == ("closed", 1.0)
    assert root["score"] == pytest.approx(0.67)


def test_alignment_tree(built: dict[str, Any]) -> None:
    align = built["aug15"]["align"]
    assert (align["o-root"]["depth"], align["o-root"]["root_objective_id"]) == (0, "o-root")
    assert align["o-team"]["parent_objective_id"] == "o-root"
    assert (align["o-team"]["depth"], align["o-team"]["path"]) == (1, "o-root > o-team")
    assert align["o-range"]["root_objective_id"] == "o-range"


def test_clients_do_not_mix(built: dict[str, Any]) -> None:
    # globex's o-root has one key result at 10 / 10 = 1.0; acme's numbers above are unaffected.
    globex = built["aug15"]["globex"]
    assert len(globex) == 1 and globex[0]["score"] == pytest.approx(1.0)
    assert globex[0]["health"] == "completed"


def test_reappending_changes_nothing(module_duckdb: Workspace, built: dict[str, Any]) -> None:
    again = module_duckdb.append(SCENARIO, name="again.jsonl")
    total = len(SCENARIO)
    assert again.code == 0
    assert f"{total} events in: 0 accepted, {total} duplicate, 0 rejected" in again.out
    assert module_duckdb.rows("select count(*) as n from okr_events")[0]["n"] == total
    rebuilt = _snapshot(module_duckdb, "2026-08-15")
    assert rebuilt == built["aug15"]
