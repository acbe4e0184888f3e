"""okr_scorecard and its flags, as of 15 August 2026, worked out by hand.

anna (team, 2026-Q3): six objectives (more than 5: too_many_objectives); o1 has six key results
(more than 5: too_many_key_results), one without an owner (missing_owner), one last checked in
on 20 July, 26 days before 15 August (more than 14: stale).
erik (team, 2026-Q2, ended 30 June): a committed objective closed at 0.5 (missed_commitment) and
an aspirational one at 0.8 (aspirational average 0.8 > 0.7: not_ambitious).
ben (company, 2026-Q3): one objective at 0.3, no flag.
"""

from __future__ import annotations

from typing import Any

import pytest

from okr_plugin.marts import FLAGS

from conftest import Workspace, event

T0 = "2026-04-01T09:00:00Z"


def objective(oid: str, owner: str, level: str, period: str, kind: str = "aspirational") -> Any:
    payload = {"title": oid, "level": level, "period": period, "owner": owner, "kind": kind}
    return event(f"e-{oid}", "objective_created", oid, T0, payload)


def key_result(krid: str, oid: str, owner: str | None) -> Any:
    payload: dict[str, Any] = {"objective_id": oid, "title": krid, "target_value": 100}
    if owner:
        payload["owner"] = owner
    return event(f"e-{krid}", "key_result_created", krid, T0, payload)


def check_in(krid: str, value: float, at: str) -> Any:
    return event(f"c-{krid}", "key_result_checked_in", krid, at, {"value": value})


EVENTS = [
    *(objective(f"o{n}", "anna", "team", "2026-Q3") for n in range(1, 7)),
    *(key_result(f"kr{n}", "o1", "anna" if n < 6 else None) for n in range(1, 7)),
    *(check_in(f"kr{n}", 50, "2026-08-10T09:00:00Z") for n in range(1, 6)),
    check_in("kr6", 50, "2026-07-20T09:00:00Z"),
    objective("o7", "erik", "team", "2026-Q2", kind="committed"),
    objective("o8", "erik", "team", "2026-Q2"),
    key_result("kr7", "o7", "erik"),
    key_result("kr8", "o8", "erik"),
    check_in("kr7", 50, "2026-06-01T09:00:00Z"),
    check_in("kr8", 80, "2026-06-01T09:00:00Z"),
    objective("o9", "ben", "company", "2026-Q3"),
    key_result("kr9", "o9", "ben"),
    check_in("kr9", 30, "2026-08-14T09:00:00Z"),
]


@pytest.fixture(scope="module")
def scorecard(module_workspace: Workspace) -> tuple[Workspace, dict[str, dict[str, Any]]]:
    ws = module_workspace
    assert ws.append(EVENTS).code == 0
    built = ws.okr("build", "--as-of", "2026-08-15")
    assert built.code == 0, built.err
    return ws, {r["owner"]: r for r in ws.rows("select * from okr_scorecard")}


def test_flags(scorecard: tuple[Workspace, dict[str, dict[str, Any]]]) -> None:
    _, rows = scorecard
    raised = {owner: {f for f in FLAGS if row[f]} for owner, row in rows.items()}
    assert raised == {
        "anna": {"too_many_objectives", "too_many_key_results", "missing_owner", "stale"},
        "erik": {"missed_commitment", "not_ambitious"},
        "ben": set(),
    }


def test_counts_and_scores(scorecard: tuple[Workspace, dict[str, dict[str, Any]]]) -> None:
    _, rows = scorecard
    anna, erik, ben = rows["anna"], rows["erik"], rows["ben"]
    # anna: o1 scores 0.5 (six key results at 50 / 100); o2-o6 have no key result, no score.
    # Q3 has 92 days, 46 elapsed by 15 August: expected 0.5; 0.5 >= 0.5 - 0.1: on track.
    assert (anna["objective_count"], anna["key_result_count"]) == (6, 6)
    assert anna["average_score"] == pytest.approx(0.5)
    assert (anna["yellow_count"], anna["on_track_count"]) == (1, 1)
    # erik: (0.5 + 0.8) / 2 = 0.65; both closed (Q2 ended 30 June); one yellow, one green
    assert erik["average_score"] == pytest.approx(0.65)
    assert (erik["closed_count"], erik["yellow_count"], erik["green_count"]) == (2, 1, 1)
    # ben: 30 / 100 = 0.3, red; 0.3 >= 0.5 - 0.25: at risk
    assert (ben["red_count"], ben["at_risk_count"], ben["level"]) == (1, 1, "company")


def test_terminal_scorecard_shows_the_flags(
    scorecard: tuple[Workspace, dict[str, dict[str, Any]]],
) -> None:
    ws, _ = scorecard
    run = ws.okr("scorecard", "--client", "acme")
    assert run.code == 0, run.err
    assert (
        "flags: anna (team, 2026-Q3): too many objectives, too many key results,"
        " missing owner, stale" in run.out
    )
    assert "flags: erik (team, 2026-Q2): missed commitment, not ambitious" in run.out
    assert "ben (company" not in run.out.split("flags:", 1)[1]
