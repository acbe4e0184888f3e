"""`okr checkin`: a value typed at the command line becomes a `key_result_checked_in` event,
as if written by hand; a value that is not plainly a number changes nothing."""

from __future__ import annotations

import json

import pytest

from conftest import Workspace, event, query

CLIENT = "acme"


def _plan(ws: Workspace) -> None:
    """One objective with a key result: 0 to 1,500 new trials, and one of the same id at
    another client."""
    created = [
        event("o-1", "objective_created", "o-trials", "2026-07-01T09:00:00Z",
              {"title": "Trials", "level": "company", "period": "2026-Q3"}, client_id=CLIENT),
        event("k-1", "key_result_created", "kr-trials", "2026-07-01T09:00:00Z",
              {"objective_id": "o-trials", "title": "1,500 new trials", "target_value": 1500},
              client_id=CLIENT),
        event("o-2", "objective_created", "o-other", "2026-07-01T09:00:00Z",
              {"title": "Other", "level": "company", "period": "2026-Q3"}, client_id="beta"),
        event("k-2", "key_result_created", "kr-same", "2026-07-01T09:00:00Z",
              {"objective_id": "o-other", "title": "Same id", "target_value": 10},
              client_id="beta"),
        event("k-3", "key_result_created", "kr-same", "2026-07-01T09:00:00Z",
              {"objective_id": "o-trials", "title": "Same id", "target_value": 10},
              client_id=CLIENT),
    ]  # fmt: skip
    assert ws.append(created).code == 0


def checkins(ws: Workspace) -> list[dict[str, object]]:
    return query(
        ws.url,
        "select client_id, entity_id, occurred_at, actor, payload from okr_events"
        " where event_type = 'key_result_checked_in' order by sequence_no",
    )


def test_a_check_in_is_the_event_written_by_hand(workspace: Workspace) -> None:
    _plan(workspace)
    run = workspace.okr(
        "checkin", "kr-trials", "600", "--confidence", "0.8", "--note", "trade show",
        "--at", "2026-08-10T16:00:00+02:00", "--actor", "carla",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert run.out.startswith("1 events in: 1 accepted, 0 duplicate, 0 rejected")
    [row] = checkins(workspace)
    # the client found from the key result's id; 16:00 at +02:00 is 14:00 UTC
    assert (row["client_id"], row["entity_id"], row["actor"]) == (CLIENT, "kr-trials", "carla")
    assert str(row["occurred_at"]).startswith("2026-08-10 14:00:00")
    payload = row["payload"]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert payload == {"value": 600, "confidence": 0.8, "note": "trade show"}
    # the marts show it (built as of now: the check-in was recorded now): 600 of 1,500 = 0.4
    assert workspace.okr("build").code == 0
    [kr] = query(workspace.url, "select * from okr_key_results where key_result_id = 'kr-trials'")
    assert (kr["current_value"], kr["score"], kr["value_source"]) == (600, 0.4, "check_in")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kr-trials", "1 500"], "value '1 500' is not a number; write digits, a point"),
        (["kr-trials", "2,05"], "value '2,05' is not a number; write digits, a point"),
        (["kr-trials", "lots"], "value 'lots' is not a number"),
        (["kr-nope", "5"], "no key result kr-nope (no key_result_created event has it)"),
        (["kr-same", "5"], "key result kr-same exists for clients acme, beta: give --client"),
        (["kr-trials", "5", "--client", "beta"], "client beta has no key result kr-trials"),
        (["kr-trials", "5", "--at", "yesterday"], "--at must be an ISO 8601 timestamp"),
        # in the future it would stop every build until then
        (["kr-trials", "5", "--at", "2099-01-01"], "--at 2099-01-01 is in the future"),
        (["kr-trials", "5", "--confidence", "3"], "check-in of kr-trials refused: "),
    ],
)
def test_a_bad_check_in_is_one_line_and_appends_nothing(
    duckdb_workspace: Workspace, args: list[str], message: str
) -> None:
    _plan(duckdb_workspace)
    run = duckdb_workspace.okr("checkin", *args)
    assert run.code == 1
    assert run.err.startswith(f"okr: error: {message}") and run.err.count("\n") == 1, run.err
    assert checkins(duckdb_workspace) == []


def test_two_clients_tell_the_key_result_apart_with_client(duckdb_workspace: Workspace) -> None:
    _plan(duckdb_workspace)
    assert duckdb_workspace.okr("checkin", "kr-same", "7", "--client", "beta").code == 0
    assert [(r["client_id"], r["entity_id"]) for r in checkins(duckdb_workspace)] == [
        ("beta", "kr-same")
    ]
