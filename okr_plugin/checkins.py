"""`okr checkin`: a key result's new value typed in, appended as a `key_result_checked_in`
event, exactly as if the event had been written by hand."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from .errors import OkrError
from .events import InvalidEvent, parse_timestamp, utc_now
from .store import AppendResult, Line, Store

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class CheckinError(OkrError):
    """A check-in that cannot be appended; the message is one line."""


def parse_value(text: str) -> float | bool:
    """A check-in's value as typed: a number written plainly (1500, 2.05, -3), or true / false
    for a binary key result. "1 500", "1,500" and "2,05" are refused, not guessed at."""
    cleaned = text.strip()
    if cleaned.lower() in ("true", "false"):
        return cleaned.lower() == "true"
    if not NUMBER.fullmatch(cleaned):
        raise CheckinError(
            f"value {text!r} is not a number: write digits, a point before decimals and no"
            " separators (1500, 2.05)"
        )
    return float(cleaned)


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
    try:
        occurred = parse_timestamp("--at", at) if at else utc_now()
    except InvalidEvent as err:
        raise CheckinError(str(err)) from None
    event = {
        "event_id": f"checkin-{uuid.uuid4().hex}",
        "event_type": "key_result_checked_in",
        "client_id": client_of(store, key_result_id, client),
        "entity_id": key_result_id,
        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "payload": payload,
    }
    if actor:
        event["actor"] = actor
    result = store.append([Line("okr checkin", 1, json.dumps(event))])
    if result.rejected:
        raise CheckinError(f"check-in of {key_result_id} refused: {result.rejections[0].reason}")
    return result
