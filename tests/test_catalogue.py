"""The event catalogue lives in code (`okr_plugin.events.SCHEMAS`); every other place that
lists event types or payload fields must agree with it: the `okr_event_types` seed, the payload
columns of `stg_okr__events` (and their docs), and the table in docs/events.md. (That staging
maps each event type to the seed's entity type is a dbt test on every build.)"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from okr_plugin.events import SCHEMAS

from conftest import Workspace

ROOT = Path(__file__).resolve().parent.parent
# payload fields whose staging column has another name (a clearer one, or a typed one)
STAGING_NAME = {"text": "annotation_text", "score": "graded_score", "value": "check_in_value"}


@pytest.mark.fast
def test_seed_lists_every_event_type_with_its_entity() -> None:
    with (ROOT / "seeds" / "okr_event_types.csv").open(encoding="utf-8") as handle:
        seed = [(row["event_type"], row["entity_type"]) for row in csv.DictReader(handle)]
    assert seed == [(name, schema.entity_type) for name, schema in SCHEMAS.items()]


@pytest.mark.fast
def test_docs_table_names_every_event_type_and_field() -> None:
    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    text = text.split("## Event types and payload fields")[1].split("\n## ")[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*) \|$", text, flags=re.MULTILINE))
    assert list(rows) == list(SCHEMAS)
    for name, schema in SCHEMAS.items():
        row = rows[name]
        named = set(re.findall(r"`(\w+)`", row))
        bold = set(re.findall(r"\*\*`(\w+)`\*\*", row))
        assert set(schema.required) <= bold, name
        if not schema.fields:
            assert row.startswith("—"), name
        elif "any of the fields above" not in row:
            assert set(schema.fields) <= named, name


def test_staging_unpacks_and_documents_every_payload_field(demo: Workspace) -> None:
    fields = {field for schema in SCHEMAS.values() for field in schema.fields}
    expected = {STAGING_NAME.get(field, field) for field in fields}
    found = {
        row["column_name"]
        for row in demo.rows(
            "select column_name from information_schema.columns"
            " where table_name = 'stg_okr__events'"
        )
    }
    assert expected <= found
    staging = yaml.safe_load((ROOT / "models" / "staging" / "_okr__staging.yml").read_text())
    model = next(m for m in staging["models"] if m["name"] == "stg_okr__events")
    assert {column["name"] for column in model["columns"]} == found
