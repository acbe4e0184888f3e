"""Goal events: parsing and validation of one JSON line into a storable event.

Every rule here produces a reason a person can act on; the store files the line under
`okr_rejected_events` with that reason instead of raising past the caller.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

# Validation limits, one place for goal events (here) and observations (ingest.py).
MAX_TEXT = 10_000
MAX_ID = 256
YEARS = (1900, 9998)  # timestamps outside are refused: not every engine and driver takes them
NUL_REASON = "contains a NUL character (\\u0000), which no warehouse stores"
SURROGATE_REASON = "contains a lone surrogate escape (\\ud800 to \\udfff), half of a character"
FUTURE_REASON = "is in the future; an import may only supply a time already past"

LEVELS = ("company", "team", "individual")
KINDS = ("aspirational", "committed")
SCORINGS = ("spectrum", "binary")
DIRECTIONS = ("increase", "decrease", "at_least", "at_most")
AGGREGATIONS = ("sum", "avg", "min", "max", "last", "count")
KPI_DIRECTIONS = ("higher_is_better", "lower_is_better")
GRAINS = ("day", "week", "month", "quarter", "year")
KPI_WINDOWS = ("period_to_date", "latest")

PERIOD_PATTERN = re.compile(r"^\d{4}(-H[12]|-Q[1-4]|-(0[1-9]|1[0-2]))?$")
ENVELOPE_FIELDS = (
    "event_id",
    "event_type",
    "client_id",
    "entity_id",
    "occurred_at",
    "recorded_at",
    "actor",
    "payload",
)


class InvalidEvent(ValueError):
    """An event that cannot be stored; the message says why, for a person."""


@dataclass(frozen=True)
class GoalEvent:
    event_id: str
    event_type: str
    client_id: str
    entity_id: str
    occurred_at: datetime  # naive, UTC
    recorded_at: datetime | None  # naive, UTC; None: the store assigns it
    actor: str | None
    payload: dict[str, Any]

    @property
    def content_hash(self) -> str:
        """What makes two appends of one `event_id` the same event (recorded_at excluded)."""
        content = {
            "event_type": self.event_type,
            "client_id": self.client_id,
            "entity_id": self.entity_id,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor,
            "payload": _canonical(self.payload),
        }
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def json_text(value: Any) -> str:
    """A payload as the warehouse stores it: its text as written ("Zażółć", not
    "Za\\u017c\\u00f3\\u0142\\u0107"). The content hash does not depend on it."""
    return json.dumps(value, ensure_ascii=False)


def _canonical(value: Any) -> Any:
    """1500 and 1500.0 are the same number to an analyst; make them hash alike."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------------------
# Field checks. Each takes the field's path (for the message) and its value, returns the value.

Check = Callable[[str, Any], Any]


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return f"text {value[:40]!r}"
    if value is None:
        return "null"
    return "nested JSON"


def text(path: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidEvent(f"{path} must be text, got {_type_name(value)}")
    if not value.strip():
        raise InvalidEvent(f"{path} must not be empty")
    if len(value) > MAX_TEXT:
        raise InvalidEvent(f"{path} is {len(value)} characters long; the limit is {MAX_TEXT}")
    return str(value)


def identifier(path: str, value: Any) -> str:
    checked = text(path, value)
    if len(checked) > MAX_ID:
        raise InvalidEvent(f"{path} is {len(checked)} characters long; ids are at most {MAX_ID}")
    if any(ord(ch) < 32 for ch in checked):
        raise InvalidEvent(f"{path} contains control characters; ids must be printable")
    return checked


def number(path: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = " (write it without quotes)" if isinstance(value, str) else ""
        raise InvalidEvent(f"{path} must be a number, got {_type_name(value)}{hint}")
    if not math.isfinite(value):
        raise InvalidEvent(f"{path} must be a finite number")
    return float(value)


def non_negative(path: str, value: Any) -> float:
    checked = number(path, value)
    if checked < 0:
        raise InvalidEvent(f"{path} must be 0 or more, got {value}")
    return checked


def fraction(path: str, value: Any) -> float:
    checked = number(path, value)
    if not 0 <= checked <= 1:
        raise InvalidEvent(f"{path} must be between 0 and 1, got {value}")
    return checked


def number_or_boolean(path: str, value: Any) -> Any:
    return value if isinstance(value, bool) else number(path, value)


def iso_date(path: str, value: Any) -> str:
    checked = text(path, value)
    try:
        date.fromisoformat(checked)
        valid = len(checked) == 10
    except ValueError:
        valid = False
    if not valid:
        raise InvalidEvent(f"{path} must be a date like 2026-09-30, got {checked[:40]!r}")
    return checked


def period(path: str, value: Any) -> str:
    checked = text(path, value)
    if not PERIOD_PATTERN.match(checked):
        raise InvalidEvent(
            f"{path} must be a year, half, quarter or month such as 2026, 2026-H2, 2026-Q3 "
            f"or 2026-07, got {checked[:40]!r}"
        )
    return checked


def one_of(*allowed: str) -> Check:
    def check(path: str, value: Any) -> str:
        if value not in allowed:
            raise InvalidEvent(
                f"{path} must be one of {', '.join(allowed)}, got {_type_name(value)}"
                if not isinstance(value, str)
                else f"{path} must be one of {', '.join(allowed)}, got {value[:40]!r}"
            )
        return str(value)

    return check


# Payload schemas: field -> (check, required on this event type).
OBJECTIVE_FIELDS: dict[str, Check] = {
    "title": text,
    "level": one_of(*LEVELS),
    "period": period,
    "period_start": iso_date,
    "period_end": iso_date,
    "owner": text,
    "team": text,
    "parent_objective_id": identifier,
    "kind": one_of(*KINDS),
    "weight": non_negative,
    "description": text,
}
KEY_RESULT_FIELDS: dict[str, Check] = {
    "objective_id": identifier,
    "title": text,
    "scoring": one_of(*SCORINGS),
    "start_value": number,
    "target_value": number,
    "direction": one_of(*DIRECTIONS),
    "unit": text,
    "weight": non_negative,
    "owner": text,
    "due_date": iso_date,
    "kpi_id": identifier,
    "kpi_window": one_of(*KPI_WINDOWS),
    "description": text,
}
KPI_FIELDS: dict[str, Check] = {
    "name": text,
    "aggregation": one_of(*AGGREGATIONS),
    "unit": text,
    "direction": one_of(*KPI_DIRECTIONS),
    "target_value": number,
    "target_grain": one_of(*GRAINS),
    "owner": text,
    "description": text,
}


def _pick(fields: Mapping[str, Check], *names: str) -> dict[str, Check]:
    return {name: fields[name] for name in names}


@dataclass(frozen=True)
class Schema:
    entity_type: str  # what the event's entity_id names: objective, key_result, kpi, annotation
    fields: Mapping[str, Check]
    required: tuple[str, ...] = ()
    needs_some: bool = False  # an update: at least one field, none of them null


SCHEMAS: dict[str, Schema] = {
    "objective_created": Schema("objective", OBJECTIVE_FIELDS, ("title", "level")),
    "objective_updated": Schema("objective", OBJECTIVE_FIELDS, needs_some=True),
    "objective_archived": Schema("objective", {}),
    "key_result_created": Schema(
        "key_result", KEY_RESULT_FIELDS, ("objective_id", "title", "target_value")
    ),
    "key_result_updated": Schema(
        "key_result",
        _pick(
            KEY_RESULT_FIELDS,
            "title",
            "owner",
            "weight",
            "due_date",
            "unit",
            "kpi_id",
            "kpi_window",
            "description",
        ),
        needs_some=True,
    ),
    "key_result_target_changed": Schema(
        "key_result",
        {"target_value": number, "start_value": number, "reason": text},
        ("target_value",),
    ),
    "key_result_checked_in": Schema(
        "key_result", {"value": number_or_boolean, "confidence": fraction, "note": text}, ("value",)
    ),
    "key_result_graded": Schema("key_result", {"score": fraction, "note": text}, ("score",)),
    "key_result_removed": Schema("key_result", {}),
    "kpi_defined": Schema("kpi", KPI_FIELDS, ("name", "aggregation")),
    "kpi_updated": Schema("kpi", KPI_FIELDS, needs_some=True),
    "kpi_retired": Schema("kpi", {}),
    "annotation_added": Schema(
        "annotation",
        {
            "text": text,
            "category": text,
            "starts_on": iso_date,
            "ends_on": iso_date,
            "objective_id": identifier,
            "key_result_id": identifier,
            "kpi_id": identifier,
        },
        ("text", "starts_on"),
    ),
    "annotation_removed": Schema("annotation", {}),
}
EVENT_TYPES = tuple(SCHEMAS)


def parse_timestamp(path: str, value: Any) -> datetime:
    """ISO 8601 to a naive UTC datetime; a value without offset is UTC, a date is its midnight."""
    raw = text(path, value).strip()
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1:] in "zZ" else raw)
    except ValueError:
        raise InvalidEvent(
            f"{path} must be an ISO 8601 timestamp like 2026-07-01T09:00:00Z, got {raw[:40]!r}"
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    if not YEARS[0] <= parsed.year <= YEARS[1]:
        raise InvalidEvent(f"{path} is out of range: {raw[:40]!r}")
    return parsed


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_event(
    event_type: str,
    client_id: str,
    entity_id: str,
    payload: dict[str, Any],
    occurred_at: datetime,
    actor: str | None = None,
) -> dict[str, Any]:
    """An event okr writes itself (a plan's change, a check-in), as a JSON-lines event: a
    random id (the same change made twice is two events), `occurred_at` in UTC."""
    return {
        "event_id": f"{event_type}-{uuid.uuid4().hex}",
        "event_type": event_type,
        "client_id": client_id,
        "entity_id": entity_id,
        "occurred_at": occurred_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "payload": payload,
    } | ({"actor": actor} if actor else {})


def _reject_constant(name: str) -> Any:
    raise InvalidEvent(f"{name} is not a number JSON allows; use a finite number")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidEvent(f"the key {key[:40]!r} appears twice in one object")
        result[key] = value
    return result


def parse_json_line(line: str) -> dict[str, Any]:
    try:
        obj = json.loads(
            line, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as err:
        raise InvalidEvent(f"not valid JSON ({err.msg} at column {err.colno})") from None
    except RecursionError:
        raise InvalidEvent("not valid JSON (nested too deeply)") from None
    if not isinstance(obj, dict):
        raise InvalidEvent(f"an event must be a JSON object, got {_type_name(obj)}")
    reason = _unstorable(obj)
    if reason:
        raise InvalidEvent(f"a text {reason}")
    return obj


def _unstorable(value: Any) -> str | None:
    """Why a text in the value cannot be stored: a NUL, or a lone surrogate escape (\\ud800),
    which is half of a character and has no UTF-8."""
    if isinstance(value, str):
        if "\x00" in value:
            return NUL_REASON
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return SURROGATE_REASON
        return None
    if isinstance(value, dict):
        items = [item for pair in value.items() for item in pair]
    elif isinstance(value, list):
        items = value
    else:
        return None
    return next((reason for item in items if (reason := _unstorable(item))), None)


def validate(obj: Mapping[str, Any], now: datetime) -> GoalEvent:
    """Check an event's envelope and payload (docs/events.md); raise InvalidEvent with a reason."""
    unknown = sorted(set(obj) - set(ENVELOPE_FIELDS))
    if "sequence_no" in unknown:
        raise InvalidEvent("sequence_no is assigned by the store; remove it from the input")
    if unknown:
        raise InvalidEvent(
            f"unknown field {unknown[0][:40]!r}; an event has {', '.join(ENVELOPE_FIELDS)}"
        )
    for field in ("event_id", "event_type", "client_id", "entity_id", "occurred_at"):
        if obj.get(field) is None:
            raise InvalidEvent(f"{field} is required")
    event_type = obj["event_type"]
    if not isinstance(event_type, str) or event_type not in SCHEMAS:
        raise InvalidEvent(
            f"event_type {str(event_type)[:40]!r} is unknown; use one of {', '.join(EVENT_TYPES)}"
        )
    recorded_at = None
    if obj.get("recorded_at") is not None:
        recorded_at = parse_timestamp("recorded_at", obj["recorded_at"])
        if recorded_at > now:
            raise InvalidEvent(f"recorded_at {obj['recorded_at']} {FUTURE_REASON}")
    actor = None if obj.get("actor") is None else text("actor", obj["actor"])
    payload = obj.get("payload", {})
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise InvalidEvent(f"payload must be a JSON object, got {_type_name(payload)}")
    return GoalEvent(
        event_id=identifier("event_id", obj["event_id"]),
        event_type=event_type,
        client_id=identifier("client_id", obj["client_id"]),
        entity_id=identifier("entity_id", obj["entity_id"]),
        occurred_at=parse_timestamp("occurred_at", obj["occurred_at"]),
        recorded_at=recorded_at,
        actor=actor,
        payload=_validate_payload(event_type, payload),
    )


def _validate_payload(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    schema = SCHEMAS[event_type]
    for name in payload:
        if name not in schema.fields:
            allowed = ", ".join(schema.fields) or "no fields"
            raise InvalidEvent(
                f"payload field {name[:40]!r} is not part of {event_type} (it takes {allowed})"
            )
    for name in schema.required:
        if payload.get(name) is None:
            raise InvalidEvent(f"payload.{name} is required for {event_type}")
    if schema.needs_some:
        if not payload:
            raise InvalidEvent(f"{event_type} needs at least one field to change")
        for name, value in payload.items():
            if value is None:
                raise InvalidEvent(
                    f"payload.{name} is null; an update sets values and cannot clear a field"
                )
    for name, value in payload.items():
        if value is not None:
            schema.fields[name](f"payload.{name}", value)
    _check_combinations(event_type, {k: v for k, v in payload.items() if v is not None})
    return payload


def _check_combinations(event_type: str, p: dict[str, Any]) -> None:
    if event_type.startswith("objective_"):
        if ("period_start" in p) != ("period_end" in p):
            raise InvalidEvent("payload.period_start and payload.period_end go together")
        if "period_start" in p and p["period_start"] > p["period_end"]:
            raise InvalidEvent("payload.period_start is after payload.period_end")
        if "period" in p and "period_start" in p:
            raise InvalidEvent("give payload.period or period_start/period_end, not both")
        if event_type == "objective_created" and "period" not in p and "period_start" not in p:
            raise InvalidEvent(
                "payload.period (e.g. 2026-Q3) or period_start and period_end are required "
                "for objective_created"
            )
    if event_type == "key_result_created":
        start = p.get("start_value", 0)
        if start == p["target_value"] and "direction" not in p:
            raise InvalidEvent(
                "payload.direction is required when start_value equals target_value "
                f"(both {start}); use increase, decrease, at_least or at_most"
            )
    if event_type in ("kpi_defined", "kpi_updated") and ("target_value" in p) != (
        "target_grain" in p
    ):
        raise InvalidEvent("payload.target_value and payload.target_grain go together")
    if event_type == "annotation_added" and p.get("ends_on", p["starts_on"]) < p["starts_on"]:
        raise InvalidEvent("payload.ends_on is before payload.starts_on")
