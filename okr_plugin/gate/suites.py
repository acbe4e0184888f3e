"""The suites: what the gate expects of each input table, as Great Expectations expectations,
each critical or a warning."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .. import events
from ..resources import has_macro, render_macro
from .results import CRITICAL, WARNING, Scope

EARLIEST = datetime(2000, 1, 1)
FINITE_LIMIT = "1.7e308"  # beyond every finite double; NaN sorts above it on both engines
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"


@dataclass
class Check:
    """One expectation of a suite, with its severity."""

    expectation: Any  # a gx.expectations.Expectation
    severity: str


@dataclass
class Input:
    """One table (or query) the gate validates, and its checks."""

    name: str
    checks: list[Check]
    table: str | None = None  # a table of the default schema, or
    query: str | None = None  # a SELECT over the warehouse

    @property
    def suite(self) -> str:
        return f"{self.name}_suite"

    @property
    def relation_sql(self) -> str:
        """What {batch} stands for, in a FROM clause."""
        return f"({self.query}) as batch_rows" if self.query else str(self.table)


def _json_text(adapter: str, column: str, name: str) -> str:
    """The text of a payload key: the dbt project's own macro for this adapter, else its
    default."""
    for macro in (f"{adapter}__okr_json_text", "default__okr_json_text"):
        if has_macro("okr_json_text", macro):
            return render_macro("okr_json_text", macro, column, name)
    raise AssertionError("macros/okr_json_text.sql has default__okr_json_text")


def _payload_fields() -> list[str]:
    names: list[str] = []
    for schema in events.SCHEMAS.values():
        names += [n for n in schema.fields if n not in names]
    return names


def event_fields_query(adapter: str) -> str:
    """okr_events with every payload field as a text column (directions split by entity)."""
    columns = [
        f"{_json_text(adapter, 'payload', name)} as {name}"
        for name in _payload_fields()
        if name != "direction"
    ]
    direction = _json_text(adapter, "payload", "direction")
    columns += [
        f"case when event_type like 'kpi%' then {direction} end as kpi_direction",
        f"case when event_type like 'key_result%' then {direction} end as key_result_direction",
    ]
    return (
        "select event_id, event_type, client_id, entity_id, occurred_at, recorded_at, "
        "sequence_no, " + ", ".join(columns) + " from okr_events"
    )


def _expectations() -> Any:
    import great_expectations as gx  # slow to import: only when the gate runs

    return gx.expectations


def _unexpected_rows(query: str, description: str, severity: str) -> Check:
    gxe = _expectations()
    return Check(
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=query,
            description=description,
        ),
        severity,
    )


def unique(column: str, scope: Scope) -> Check:
    """No two rows share a value of the column. Over new rows only, the values of the new rows
    that more than one row of the whole relation holds: one column of the relation is read,
    against the few values of the batch."""
    rows = (
        f"{scope.relation} where {column} in (select {column} from {{batch}})"
        if scope.where
        else f"{{batch}} where {column} is not null"
    )
    return _unexpected_rows(
        f"select {column} from {rows} group by {column} having count(*) > 1",
        f"{column} is unique",
        CRITICAL,
    )


def _column_checks(
    scope: Scope, id_column: str, not_null: list[str], timestamps: list[str], now: datetime
) -> Iterator[Check]:
    """Checks every input table shares: unique ids, required columns, sane timestamps."""
    gxe = _expectations()
    yield unique(id_column, scope)
    for name in not_null:
        yield Check(gxe.ExpectColumnValuesToNotBeNull(column=name), CRITICAL)
    for name in timestamps:
        yield Check(
            gxe.ExpectColumnValuesToBeBetween(
                column=name, min_value=EARLIEST, max_value=now + timedelta(days=1)
            ),
            CRITICAL,
        )


def _recorded_before(time_column: str) -> Check:
    return _unexpected_rows(
        f"select event_id from {{batch}} where recorded_at < {time_column} - interval '1 day'",
        f"recorded_at is at most a day before {time_column} (the import rule)",
        WARNING,
    )


def event_checks(now: datetime, scope: Scope) -> list[Check]:
    gxe = _expectations()
    envelope = ["event_id", "event_type", "client_id", "entity_id", "occurred_at"]
    checks = list(
        _column_checks(
            scope,
            "event_id",
            [*envelope, "recorded_at", "sequence_no"],
            ["occurred_at", "recorded_at"],
            now,
        )
    )
    checks.append(unique("sequence_no", scope))
    checks.append(
        Check(
            gxe.ExpectColumnValuesToBeInSet(
                column="event_type", value_set=list(events.EVENT_TYPES)
            ),
            CRITICAL,
        )
    )
    checks.append(_recorded_before("occurred_at"))
    return checks


def event_field_checks(max_depth: int, adapter: str) -> list[Check]:
    """Payload fields: enumerations, numbers, required fields, references, no cycle. The
    references and the alignment tree are read from every event, whichever rows are checked."""
    gxe = _expectations()
    sets = {
        "level": events.LEVELS,
        "kind": events.KINDS,
        "scoring": events.SCORINGS,
        "key_result_direction": events.DIRECTIONS,
        "kpi_direction": events.KPI_DIRECTIONS,
        "aggregation": events.AGGREGATIONS,
        "target_grain": events.GRAINS,
        "kpi_window": events.KPI_WINDOWS,
    }
    checks = [
        Check(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(values)), CRITICAL)
        for name, values in sets.items()
    ]
    checks += [
        Check(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=NUMBER_PATTERN), CRITICAL)
        for name in ("start_value", "target_value", "weight", "confidence", "score")
    ]
    checks.append(
        Check(
            gxe.ExpectColumnValuesToMatchRegex(
                column="value", regex=f"({NUMBER_PATTERN})|^(true|false)$"
            ),
            CRITICAL,
        )
    )
    for event_type, schema in events.SCHEMAS.items():
        names = [n if n != "direction" else "key_result_direction" for n in schema.fields]
        if schema.required:
            missing = " or ".join(f"{n} is null" for n in schema.required)
            checks.append(
                _unexpected_rows(
                    f"select event_id from {{batch}} where event_type = '{event_type}'"
                    f" and ({missing})",
                    f"{event_type} has {', '.join(schema.required)}",
                    CRITICAL,
                )
            )
        if schema.needs_some:
            checks.append(
                _unexpected_rows(
                    f"select event_id from {{batch}} where event_type = '{event_type}'"
                    f" and coalesce({', '.join(names)}) is null",
                    f"{event_type} changes at least one field",
                    CRITICAL,
                )
            )
    checks.append(
        _unexpected_rows(
            "select event_id from {batch} where event_type = 'objective_created'"
            " and period is null and (period_start is null or period_end is null)",
            "objective_created has a period (or period_start and period_end)",
            CRITICAL,
        )
    )
    objectives = (
        "select client_id, entity_id from okr_events where event_type = 'objective_created'"
    )
    for reference, what in (("objective_id", "a key result"), ("parent_objective_id", "a parent")):
        checks.append(
            _unexpected_rows(
                "select f.event_id from (select * from {batch}) as f"
                f" where f.{reference} is not null and f.event_type <> 'annotation_added'"
                f" and not exists (select 1 from ({objectives}) as o"
                f" where o.client_id = f.client_id and o.entity_id = f.{reference})",
                f"{what}'s {reference} names an objective created for the same client",
                CRITICAL,
            )
        )
    checks.append(
        _unexpected_rows(
            cycle_query(max_depth, event_fields_query(adapter)),
            "the alignment tree has no cycle",
            CRITICAL,
        )
    )
    return checks


def cycle_query(max_depth: int, fields: str) -> str:
    """The objectives in a cycle that the checked rows create or change: each objective's
    latest parent in `fields` (every event; latest = greatest occurred_at, recorded_at,
    sequence_no), walked upwards by the models' own alignment walk; an objective met again on
    its own path is in a cycle. A new cycle always holds the objective whose new parent closed
    it, so checking new rows only misses none."""
    walk = render_macro(
        "okr_alignment_walk",
        "okr_alignment_walk",
        "walk",
        "parents",
        "links",
        ["client_id"],
        max_depth,
    )
    # No JOIN keyword: GX would then leave {batch} without the alias PostgreSQL needs. No SQL
    # comments either: GX flattens the query onto one line.
    return f"""
with recursive changes as (
    select client_id, entity_id, parent_objective_id, row_number() over (
        partition by client_id, entity_id
        order by occurred_at desc, recorded_at desc, sequence_no desc) as recency
    from ({fields}) as fields
    where event_type in ('objective_created', 'objective_updated')
      and parent_objective_id is not null
),
parents as (
    select client_id, entity_id as objective_id from changes where recency = 1
),
links as (
    select client_id, entity_id as from_id, parent_objective_id as to_id
    from changes where recency = 1
),
{walk}
select distinct start_id as event_id from walk
where depth > 0 and reached_id = start_id and exists (
    select 1 from (select * from {{batch}}) as checked
    where checked.client_id = walk.client_id and checked.entity_id = walk.start_id
      and checked.event_type in ('objective_created', 'objective_updated')
)
"""


def observation_checks(now: datetime, scope: Scope, has_sequence: bool) -> list[Check]:
    required = ["event_id", "client_id", "kpi_id", "observed_at", "value", "recorded_at"]
    checks = list(
        _column_checks(
            scope,
            "event_id",
            required + (["sequence_no"] if has_sequence else []),
            ["observed_at", "recorded_at"],
            now,
        )
    )
    checks.append(
        _unexpected_rows(
            f"select event_id from {{batch}}"
            f" where value > {FINITE_LIMIT} or value < -{FINITE_LIMIT}",
            "values are finite",
            CRITICAL,
        )
    )
    checks.append(
        _unexpected_rows(
            "select o.event_id from (select * from {batch}) as o where not exists ("
            "select 1 from okr_events as e where e.event_type = 'kpi_defined'"
            " and e.client_id = o.client_id and e.entity_id = o.kpi_id)",
            "the observation's kpi_id has a kpi_defined event for its client",
            WARNING,
        )
    )
    checks.append(_recorded_before("observed_at"))
    return checks
