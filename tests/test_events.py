"""Validation of goal events: every kind of bad event gets a reason a person can act on."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okr_plugin.events import (
    ENVELOPE_FIELDS,
    EVENT_TYPES,
    InvalidEvent,
    parse_json_line,
    validate,
)

pytestmark = pytest.mark.fast  # no dbt build: make check runs these

NOW = datetime(2026, 11, 28, 12, 0, 0)


def ev(
    event_type: str = "objective_created", payload: Any = None, **envelope: Any
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "e1",
        "event_type": event_type,
        "client_id": "acme",
        "entity_id": "o1",
        "occurred_at": "2026-07-01T09:00:00Z",
        "payload": {"title": "T", "level": "company", "period": "2026-Q3"}
        if payload is None
        else payload,
    }
    base.update(envelope)
    return base


def reason(obj: dict[str, Any]) -> str:
    with pytest.raises(InvalidEvent) as caught:
        validate(obj, NOW)
    return str(caught.value)


def test_a_valid_event_is_normalised_to_utc() -> None:
    good = validate(ev(occurred_at="2026-07-01T11:00:00+02:00", actor="anna"), NOW)
    assert good.occurred_at == datetime(2026, 7, 1, 9, 0, 0)
    assert good.recorded_at is None and good.actor == "anna"
    # without an offset a timestamp is UTC; a bare date is its midnight
    assert validate(ev(occurred_at="2026-07-01T09:00:00"), NOW).occurred_at == datetime(
        2026, 7, 1, 9
    )
    assert validate(ev(occurred_at="2026-07-01"), NOW).occurred_at == datetime(2026, 7, 1)


def test_content_hash_ignores_recorded_at_and_integral_floats() -> None:
    a = validate(ev(payload={"title": "T", "level": "team", "period": "2026", "weight": 2}), NOW)
    b = validate(
        ev(
            payload={"level": "team", "title": "T", "period": "2026", "weight": 2.0},
            recorded_at="2026-07-02T00:00:00Z",
        ),
        NOW,
    )
    c = validate(ev(payload={"title": "T2", "level": "team", "period": "2026"}), NOW)
    assert a.content_hash == b.content_hash != c.content_hash


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({k: v for k, v in ev().items() if k != "event_id"}, "event_id is required"),
        (ev(event_id=""), "event_id must not be empty"),
        (ev(event_id=7), "event_id must be text, got number"),
        (ev(event_type="objective_made"), "event_type 'objective_made' is unknown"),
        (ev(client_id=None), "client_id is required"),
        (ev(occurred_at="yesterday"), "occurred_at must be an ISO 8601 timestamp"),
        (ev(occurred_at="2026-13-01T00:00:00Z"), "occurred_at must be an ISO 8601 timestamp"),
        (
            ev(recorded_at="2027-01-01T00:00:00Z"),
            "recorded_at 2027-01-01T00:00:00Z is in the future",
        ),
        (ev(sequence_no=4), "sequence_no is assigned by the store"),
        (ev(colour="red"), "unknown field 'colour'"),
        (ev(payload=[1, 2]), "payload must be a JSON object, got nested JSON"),
        (ev(payload={"level": "company", "period": "2026-Q3"}), "payload.title is required"),
        (
            ev(payload={"title": "T", "level": "galaxy", "period": "2026-Q3"}),
            "payload.level must be one of company, team, individual",
        ),
        (
            ev(payload={"title": "T", "level": "team", "period": "Q3 2026"}),
            "payload.period must be a year, half, quarter or month",
        ),
        (
            ev(payload={"title": "T", "level": "team"}),
            "payload.period (e.g. 2026-Q3) or period_start and period_end are required",
        ),
        (
            ev(payload={"title": "T", "level": "team", "period_start": "2026-07-01"}),
            "period_start and payload.period_end go together",
        ),
        (
            ev(
                payload={
                    "title": "T",
                    "level": "team",
                    "period_start": "2026-09-01",
                    "period_end": "2026-07-01",
                }
            ),
            "period_start is after",
        ),
        (
            ev(payload={"title": "T", "level": "team", "period": "2026", "weight": -1}),
            "payload.weight must be 0 or more",
        ),
        (
            ev(payload={"title": "T", "level": "team", "period": "2026", "targt": 1}),
            "payload field 'targt' is not part of objective_created",
        ),
        (ev("objective_updated", {}), "objective_updated needs at least one field to change"),
        (ev("objective_updated", {"owner": None}), "payload.owner is null; an update sets values"),
        (
            ev("key_result_created", {"objective_id": "o1", "title": "K"}),
            "payload.target_value is required",
        ),
        (
            ev("key_result_created", {"objective_id": "o1", "title": "K", "target_value": "1500"}),
            "payload.target_value must be a number, got text '1500' (write it without quotes)",
        ),
        (
            ev("key_result_created", {"objective_id": "o1", "title": "K", "target_value": True}),
            "payload.target_value must be a number, got boolean",
        ),
        (
            ev(
                "key_result_created",
                {"objective_id": "o1", "title": "K", "target_value": 5, "start_value": 5},
            ),
            "payload.direction is required when start_value equals target_value",
        ),
        (
            ev(
                "key_result_created",
                {"objective_id": "o1", "title": "K", "target_value": 5, "scoring": "fuzzy"},
            ),
            "payload.scoring must be one of spectrum, binary",
        ),
        (
            ev(
                "key_result_created",
                {"objective_id": "o1", "title": "K", "target_value": 5, "due_date": "31/08/2026"},
            ),
            "payload.due_date must be a date like 2026-09-30",
        ),
        (
            ev("key_result_updated", {"target_value": 5}),
            "payload field 'target_value' is not part of key_result_updated",
        ),
        (ev("key_result_target_changed", {"reason": "x"}), "payload.target_value is required"),
        (ev("key_result_checked_in", {"confidence": 0.5}), "payload.value is required"),
        (
            ev("key_result_checked_in", {"value": 1, "confidence": 1.5}),
            "payload.confidence must be between 0 and 1",
        ),
        (ev("key_result_graded", {"score": 2}), "payload.score must be between 0 and 1"),
        (
            ev("kpi_defined", {"name": "Visitors", "aggregation": "median"}),
            "payload.aggregation must be one of sum, avg, min, max, last, count",
        ),
        (
            ev("kpi_defined", {"name": "V", "aggregation": "sum", "target_value": 5}),
            "target_value and payload.target_grain go together",
        ),
        (
            ev(
                "annotation_added",
                {"text": "GA4", "starts_on": "2026-07-10", "ends_on": "2026-07-01"},
            ),
            "payload.ends_on is before payload.starts_on",
        ),
        (
            ev("annotation_removed", {"text": "x"}),
            "payload field 'text' is not part of annotation_removed (it takes no fields)",
        ),
    ],
)
def test_each_kind_of_bad_event_has_an_actionable_reason(
    obj: dict[str, Any], expected: str
) -> None:
    assert expected in reason(obj)


def test_every_event_type_has_a_valid_example() -> None:
    examples = {
        "objective_created": {"title": "T", "level": "team", "period": "2026-07"},
        "objective_updated": {"title": "T2"},
        "objective_archived": {},
        "key_result_created": {"objective_id": "o1", "title": "K", "target_value": 3},
        "key_result_updated": {"owner": "ben"},
        "key_result_target_changed": {"target_value": 4, "start_value": 1, "reason": "r"},
        "key_result_checked_in": {"value": False, "confidence": 0.2, "note": "n"},
        "key_result_graded": {"score": 0.7},
        "key_result_removed": {},
        "kpi_defined": {
            "name": "V",
            "aggregation": "last",
            "target_value": 9,
            "target_grain": "week",
        },
        "kpi_updated": {"unit": "visits"},
        "kpi_retired": {},
        "annotation_added": {"text": "GA4", "category": "tracking", "starts_on": "2026-07-01"},
        "annotation_removed": {},
    }
    assert set(examples) == set(EVENT_TYPES)
    for event_type, payload in examples.items():
        assert validate(ev(event_type, payload), NOW).event_type == event_type


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"event_id": "a", "event_id": "b"}', "the key 'event_id' appears twice"),
        ('{"value": NaN}', "NaN is not a number JSON allows"),
        ('{"value": Infinity}', "Infinity is not a number JSON allows"),
        ('{"event_id": "a"', "not valid JSON"),
        ("[1, 2]", "an event must be a JSON object"),
        ('"just text"', "an event must be a JSON object"),
    ],
)
def test_unparseable_lines(line: str, expected: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_json_line(line)
    assert expected in str(caught.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*ENVELOPE_FIELDS, "other"]),
        json_values,
    )
    | st.dictionaries(st.text(), json_values)
)
def test_any_json_object_is_either_valid_or_rejected_with_a_reason(obj: dict[str, Any]) -> None:
    try:
        validate(obj, NOW)
    except InvalidEvent as err:
        assert str(err)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_line_parses_or_is_rejected(line: str) -> None:
    try:
        parsed = parse_json_line(line)
    except InvalidEvent:
        return
    assert isinstance(parsed, dict)
    assert json.loads(line) == parsed
