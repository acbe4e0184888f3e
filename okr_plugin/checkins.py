"""`okr checkin`: a key result's new value typed in, appended as a `key_result_checked_in`
event, exactly as if the event had been written by hand."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from . import plan
from .errors import OkrError
from .events import InvalidEvent, fraction, new_event, parse_timestamp, utc_now, validate
from .store import AppendResult, Line, Store

CHECKED_IN = "key_result_checked_in"


class CheckinError(OkrError):
    """A check-in that cannot be appended; the message is one line."""


def parse_value(text: str) -> float | bool:
    """A check-in's value as typed: a number written plainly (plan.typed_number), or true /
    false for a binary key result."""
    if text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    try:
        return plan.typed_number(text)
    except InvalidEvent as err:
        raise CheckinError(f"value {err}") from None


def moment(option: str, text: str) -> datetime:
    """An option's ISO 8601 time (UTC without an offset), not after now (an event in the
    future would stop every build until then); a one-line error otherwise."""
    try:
        moment = parse_timestamp(option, text)
    except InvalidEvent as err:
        raise CheckinError(str(err)) from None
    if moment > utc_now():
        raise CheckinError(f"{option} {text} is in the future; changes take effect by now")
    return moment


def client_of(store: Store, key_result_id: str, client: str | None) -> str:
    """The client whose key result this is: `client` when given (and it has one of that id),
    else the only client with a key result of that id."""
    rows = store.query(
        "select distinct client_id from okr_events"
        " where event_type = 'key_result_created' and entity_id = :id",
        id=key_result_id,
    )
    clients = sorted(str(row.client_id) for row in rows)
    if client is not None:
        if client not in clients:
            raise CheckinError(f"client {client} has no key result {key_result_id}")
        return client
    if not clients:
        raise CheckinError(f"no key result {key_result_id} (no key_result_created event has it)")
    if len(clients) > 1:
        raise CheckinError(
            f"key result {key_result_id} exists for clients {', '.join(clients)}: give --client"
        )
    return clients[0]


def checkin(
    store: Store,
    key_result_id: str,
    value: str,
    *,
    client: str | None = None,
    confidence: float | None = None,
    note: str | None = None,
    at: str | None = None,
    actor: str | None = None,
) -> AppendResult:
    """Append one check-in; a check-in the store rejects is an error with its reason."""
    payload: dict[str, Any] = {"value": parse_value(value)}
    if confidence is not None:
        payload["confidence"] = confidence
    if note:
        payload["note"] = note
    occurred = moment("--at", at) if at else utc_now()
    owner = client_of(store, key_result_id, client)
    event = new_event(CHECKED_IN, owner, key_result_id, payload, occurred, actor)
    result = store.append([Line("okr checkin", 1, json.dumps(event))])
    if result.rejected:
        raise CheckinError(f"check-in of {key_result_id} refused: {result.rejections[0].reason}")
    return result


# -- a week's check-ins as a sheet -------------------------------------------------------------

CHECKINS = plan.Layout(
    "a check-in sheet",
    (
        plan.Column(
            "key_result_id",
            "",
            "key_result_id",
            "id",
            "the key result's id; blank: found by its title",
        ),
        plan.Column("key_result", "", "key_result", "text", "the key result's title"),
        plan.Column("objective (read only)", "", "", "text", "its objective"),
        plan.Column("last value (read only)", "", "", "text", "its value at the last build"),
        plan.Column(
            "value",
            "",
            "value",
            "value",
            "the new value: 1500, 2.05, true or false (binary); blank: no check-in",
        ),
        plan.Column(
            "confidence", "", "confidence", "number", "the owner's confidence, 0 to 1 (optional)"
        ),
        plan.Column("note", "", "note", "text", "a note (optional)"),
    ),
    ("value",),
)
OPEN_KEY_RESULTS = """
select k.key_result_id, k.title, o.title as objective, k.current_value
from okr_key_results as k
inner join okr_objectives as o on k.client_id = o.client_id and k.objective_id = o.objective_id
where k.client_id = :client and (k.health is null or k.health <> 'closed')
order by o.objective_id, k.key_result_id
"""


def checkin_rows(store: Store, client: str) -> list[list[Any]]:
    """The week's sheet: every key result of the client still running, its last value."""
    plan.current_state(store, client)  # the marts are the events' (or say to build first)
    return [
        [kr.key_result_id, kr.title, kr.objective, plan.written(kr.current_value), None, None, None]
        for kr in store.query(OPEN_KEY_RESULTS, client=client)
    ]


def checkin_sheet(store: Store, path: Path, client: str, actor: str | None) -> AppendResult:
    """The check-ins of a sheet's rows that have a value, all or none: every problem is
    reported with its row and column."""
    _, key_results = plan.current_state(store, client)
    titles: dict[str, list[str]] = {}
    for known, kr in key_results.items():
        titles.setdefault(kr.title, []).append(known)
    now = utc_now()
    problems: list[str] = []
    found: list[dict[str, Any]] = []
    for cell in plan.read_rows(path, CHECKINS):
        if "value" not in cell.values:
            continue
        kid = _key_result(cell, key_results, titles, problems)
        payload: dict[str, Any] = {}
        for name in ("value", "confidence", "note"):
            if name in cell.values:
                try:
                    payload[name] = _cell(name, cell.values[name])
                except (InvalidEvent, CheckinError) as err:
                    problems.append(f"{cell.where(name)}: {err}")
                    kid = None
        if kid is None:
            continue
        event = new_event(CHECKED_IN, client, kid, payload, now, actor)
        try:
            validate(event, now)
        except InvalidEvent as err:
            problems.append(f"{cell.where()}: {err}")
            continue
        found.append(event)
    if problems:
        raise CheckinError("\n".join(problems))
    if not found:
        raise CheckinError(f"{path.name}: no row has a value to check in")
    result = store.append([Line(path.name, n, json.dumps(e)) for n, e in enumerate(found, 1)])
    if result.rejected:  # checked above: only a concurrent change of the store gets here
        raise CheckinError(f"the store refused {result.rejected} of the sheet's check-ins")
    return result


def _cell(name: str, value: Any) -> Any:
    if name == "value":
        return value if isinstance(value, (bool, int, float)) else parse_value(str(value))
    if name == "confidence":
        return fraction("confidence", plan.cell_value(CHECKINS.by_name["confidence"], value))
    return str(value).strip()


def _key_result(
    cell: plan.Cell, key_results: dict[str, Any], titles: dict[str, list[str]], problems: list[str]
) -> str | None:
    """The row's key result: by its id, else by its title (one of that title)."""
    given = cell.values.get("key_result_id")
    if given is not None:
        known = plan.cell_value(CHECKINS.by_name["key_result_id"], given)
        if known not in key_results:
            problems.append(f"{cell.where('key_result_id')}: no key result {known}")
            return None
        return str(known)
    title = str(cell.values.get("key_result", "")).strip()
    ids = titles.get(title, [])
    if len(ids) != 1:
        problems.append(
            f"{cell.where('key_result')}: "
            + (
                f"no key result titled {title!r}"
                if not ids
                else f"{len(ids)} key results are titled {title!r}: give key_result_id"
            )
        )
        return None
    return ids[0]
