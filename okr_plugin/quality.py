"""The data-quality gate: Great Expectations suites over the input tables, run before builds.

Events reach the warehouse through the CLI (validated on append) but also around it: an ELT job
writing into the event tables, an extra observation relation, a hand-edited table. The gate
checks what is stored, whatever wrote it. Each expectation is critical (a failure stops the
build before dbt touches a table) or a warning (reported). Every run adds one row per
expectation to okr_quality_results and rewrites GX's HTML documents in a known folder.

GX's SQL datasource reads no rows through duckdb-engine (GX fetches after the connection has
closed, and DuckDB drops a pending result on the next statement): DuckDB warehouses are read
through the `okr_duckdb` dialect below, which buffers each result as soon as it is executed.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy.dialects import postgresql, registry
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy

from . import events
from .child import run_child, serve
from .errors import OkrError, StoreError
from .events import utc_now
from .settings import duckdb_memory_limit
from .store import Store, okr_quality_results
from .warehouse import engine_options, translate

CRITICAL = "critical"
WARNING = "warning"
EARLIEST = datetime(2000, 1, 1)
SAMPLE_IDS = 5
FINITE_LIMIT = "1.7e308"  # beyond every finite double; NaN sorts above it on both engines
NUMBER_PATTERN = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"


_DuckDBContext: Any = DuckDBDialect.execution_ctx_cls


class _BufferedContext(_DuckDBContext):  # type: ignore[misc]
    """Fetches the whole result right after execution, before anything can discard it."""

    def post_exec(self) -> None:
        super().post_exec()
        if self.cursor.description is not None:
            self.cursor_fetch_strategy = FullyBufferedCursorFetchStrategy(
                self.cursor, self.cursor.description, self.cursor.fetchall()
            )


class BufferedDuckDBDialect(DuckDBDialect):
    """duckdb-engine with fully buffered results, registered as `okr_duckdb`."""

    execution_ctx_cls = _BufferedContext

    def on_connect(self) -> Any:
        """Cap DuckDB's memory as every other okr connection does."""
        parent = super().on_connect()

        def connect(connection: Any) -> None:
            if parent is not None:
                parent(connection)
            connection.execute(f"set memory_limit = '{duckdb_memory_limit()}'")

        return connect

    @property
    def dialect(self) -> type[sa.Dialect]:
        # GX picks its regex SQL by asking whether `dialect.dialect` is PostgreSQL's; DuckDB's
        # `~` and `!~` are PostgreSQL's regex search operators. (A property, so that SQLAlchemy's
        # registry does not take it for an entry point.)
        return postgresql.dialect


registry.register("okr_duckdb", __name__, "BufferedDuckDBDialect")


@dataclass
class Check:
    """One expectation of a suite, with its severity."""

    expectation: Any  # a gx.expectations.Expectation
    severity: str


@dataclass
class Outcome:
    """The result of one expectation in one run."""

    suite: str
    table_name: str
    expectation: str
    column_name: str | None
    severity: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    sample_ids: list[str] = field(default_factory=list)
    details: str | None = None

    def line(self) -> str:
        """One line: status (pass, or the severity of a failure), table, check, what failed."""
        status = "pass" if self.success else self.severity
        what = self.expectation + (f"({self.column_name})" if self.column_name else "")
        found = self.details or ""
        if not self.success and not self.details and self.unexpected_count is not None:
            found = f"{self.unexpected_count} rows"
            if self.element_count:
                found += f" of {self.element_count}"
            if self.sample_ids:
                found += f", e.g. {', '.join(self.sample_ids)}"
        return f"{status:>8}  {self.table_name}: {what}" + (f": {found}" if found else "")


@dataclass
class GateReport:
    run_id: str
    run_at: datetime
    outcomes: list[Outcome]
    docs: Path

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def critical(self) -> list[Outcome]:
        return [o for o in self.failed if o.severity == CRITICAL]

    def summary(self) -> str:
        warnings = len(self.failed) - len(self.critical)
        return (
            f"quality gate: {len(self.outcomes)} expectations, {len(self.critical)} critical"
            f" and {warnings} warning failures (report: {self.docs / 'index.html'})"
        )


class QualityGateFailed(OkrError):
    """A critical expectation failed: nothing may be built on these inputs."""


def _json_text(dialect: str, column: str, name: str) -> str:
    if dialect == "postgresql":
        return f"{column} ->> '{name}'"
    return f"json_extract_string({column}, '$.{name}')"


def _payload_fields() -> list[str]:
    names: list[str] = []
    for schema in events.SCHEMAS.values():
        names += [n for n in schema.fields if n not in names]
    return names


def event_fields_query(dialect: str) -> str:
    """okr_events with every payload field as a text column (directions split by entity)."""
    columns = [
        f"{_json_text(dialect, 'payload', name)} as {name}"
        for name in _payload_fields()
        if name != "direction"
    ]
    direction = _json_text(dialect, "payload", "direction")
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


def _column_checks(
    id_column: str, not_null: list[str], timestamps: list[str], now: datetime
) -> Iterator[Check]:
    """Checks every input table shares: unique ids, required columns, sane timestamps."""
    gxe = _expectations()
    yield Check(gxe.ExpectColumnValuesToBeUnique(column=id_column), CRITICAL)
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


def event_checks(now: datetime) -> list[Check]:
    gxe = _expectations()
    envelope = ["event_id", "event_type", "client_id", "entity_id", "occurred_at"]
    checks = list(
        _column_checks(
            "event_id",
            [*envelope, "recorded_at", "sequence_no"],
            ["occurred_at", "recorded_at"],
            now,
        )
    )
    checks.append(Check(gxe.ExpectColumnValuesToBeUnique(column="sequence_no"), CRITICAL))
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


def event_field_checks() -> list[Check]:
    """Payload fields: enumerations, numbers, required fields, references, no cycle."""
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
    objectives = "select client_id, entity_id from {batch} where event_type = 'objective_created'"
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
    checks.append(_unexpected_rows(CYCLE_QUERY, "the alignment tree has no cycle", CRITICAL))
    return checks


# The latest parent of each objective (latest = greatest occurred_at, recorded_at, sequence_no),
# walked upwards; an objective met again on its own path is in a cycle. Depth is bounded so a
# cycle cannot make the walk endless. No JOIN keyword: GX would then leave {batch} without the
# alias PostgreSQL needs. No SQL comments either: GX flattens the query onto one line.
CYCLE_QUERY = """
with recursive changes as (
    select client_id, entity_id, parent_objective_id, row_number() over (
        partition by client_id, entity_id
        order by occurred_at desc, recorded_at desc, sequence_no desc) as recency
    from {batch}
    where event_type in ('objective_created', 'objective_updated')
      and parent_objective_id is not null
),
parents as (
    select client_id, entity_id, parent_objective_id from changes where recency = 1
),
walk as (
    select client_id, entity_id as start_id, parent_objective_id as reached, 1 as depth
    from parents
    union all
    select walk.client_id, walk.start_id, parents.parent_objective_id, walk.depth + 1
    from walk, parents
    where parents.client_id = walk.client_id and parents.entity_id = walk.reached
        and walk.depth < 60 and walk.reached <> walk.start_id
)
select distinct start_id as event_id from walk where reached = start_id
"""


def observation_checks(now: datetime, has_sequence: bool) -> list[Check]:
    required = ["event_id", "client_id", "kpi_id", "observed_at", "value", "recorded_at"]
    checks = list(
        _column_checks(
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


def _gx_url(url: str) -> str:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "duckdb":
        return parsed.set(drivername="okr_duckdb").render_as_string(hide_password=False)
    return url


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.CRITICAL)


@dataclass
class Input:
    """One table (or query) the gate validates, and its checks."""

    name: str
    checks: list[Check]
    table: str | None = None  # schema.table, or
    query: str | None = None  # a SELECT over the warehouse

    @property
    def suite(self) -> str:
        return f"{self.name}_suite"

    @property
    def relation_sql(self) -> str:
        """What {batch} stands for, in a FROM clause."""
        return f"({self.query}) as batch_rows" if self.query else str(self.table)


class Gate:
    """The suites over one warehouse; run() validates them all and records the results."""

    def __init__(self, url: str, docs: Path, relations: list[str] | None = None) -> None:
        self.url = url
        self.docs = docs
        self.relations = relations or []

    def inputs(self, engine: sa.Engine, now: datetime) -> tuple[list[Input], list[Outcome]]:
        """What to validate; an extra relation not (yet) in the warehouse is a warning."""
        inputs = [
            Input("okr_events", event_checks(now), table="okr_events"),
            Input(
                "okr_event_fields",
                event_field_checks(),
                query=event_fields_query(engine.dialect.name),
            ),
            Input(
                "okr_observations",
                observation_checks(now, has_sequence=True),
                table="okr_observations",
            ),
        ]
        missing = []
        inspector = sa.inspect(engine)
        for relation in self.relations:
            schema, _, name = relation.rpartition(".")
            found = inspector.has_table(name, schema=schema or None) or name in (
                inspector.get_view_names(schema=schema or None)
            )
            if found:
                inputs.append(
                    Input(relation, observation_checks(now, has_sequence=False), table=relation)
                )
            else:
                missing.append(
                    Outcome(
                        f"{relation}_suite",
                        relation,
                        "relation exists",
                        None,
                        WARNING,
                        False,
                        details="not in the warehouse yet; checked once it exists",
                    )
                )
        return inputs, missing

    def run(self, engine: sa.Engine, now: datetime) -> GateReport:
        _quiet_gx()
        import great_expectations as gx
        from great_expectations.checkpoint.actions import UpdateDataDocsAction
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.add_data_docs_site(
            site_name="okr",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(self.docs),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        # `kwargs` (create_engine arguments) is a field of GX's SQL datasource its stub omits
        source = context.data_sources.add_sql(  # type: ignore[call-arg]
            name="warehouse", connection_string=_gx_url(self.url), kwargs=engine_options(self.url)
        )
        try:
            inputs, outcomes = self.inputs(engine, now)
            definitions = []
            for item in inputs:
                suite = context.suites.add(gx.ExpectationSuite(name=item.suite))
                for check in item.checks:
                    check.expectation.meta = {"severity": check.severity}
                    suite.add_expectation(check.expectation)
                asset: Any
                if item.query:
                    asset = source.add_query_asset(item.name, query=item.query)
                else:
                    schema, _, name = str(item.table).rpartition(".")
                    asset = source.add_table_asset(
                        item.name, table_name=name, schema_name=schema or None
                    )
                definitions.append(
                    context.validation_definitions.add(
                        gx.ValidationDefinition(
                            name=suite.name,
                            data=asset.add_batch_definition_whole_table("all"),
                            suite=suite,
                        )
                    )
                )
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(
                    name="okr_quality_gate",
                    validation_definitions=definitions,
                    actions=[UpdateDataDocsAction(name="docs", site_names=["okr"])],
                    result_format={
                        "result_format": "SUMMARY",
                        "unexpected_index_column_names": ["event_id"],
                        "partial_unexpected_count": SAMPLE_IDS,
                    },
                )
            )
            result = checkpoint.run()
            by_suite = {item.suite: item for item in inputs}
            for validation in result.run_results.values():
                item = by_suite[validation.suite_name]
                for found in validation.results:
                    outcome = _outcome(validation.suite_name, item.name, found)
                    config = found.expectation_config
                    query = config.kwargs.get("unexpected_rows_query") if config else None
                    if query and not outcome.success and outcome.details is None:
                        outcome.sample_ids = _sample_ids(engine, query, item)
                    outcomes.append(outcome)
        except sa.exc.DBAPIError as err:
            raise translate(err, self.url) from None
        finally:
            source.get_engine().dispose()
        report = GateReport(uuid.uuid4().hex, now, outcomes, self.docs)
        _record(engine, report)
        return report


def _sample_ids(engine: sa.Engine, query: str, item: Input) -> list[str]:
    """A few offending ids of a failed SQL expectation (GX's summary leaves them out)."""
    sql = f"select * from ({query.replace('{batch}', item.relation_sql)}) as found"
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql + f" limit {SAMPLE_IDS}")).fetchall()
    return [str(row[0]) for row in rows]


def _outcome(suite: str, table: str, result: Any) -> Outcome:
    config = result.expectation_config
    outcome = Outcome(
        suite,
        table,
        config.description or config.type,
        config.kwargs.get("column"),
        (config.meta or {}).get("severity", CRITICAL),
        bool(result.success),
    )
    error = _exception_message(result.exception_info or {})
    if error is not None:
        outcome.success = False
        outcome.details = f"the check could not run: {error}"
        return outcome
    found = result.result or {}
    unexpected = found.get("unexpected_count", found.get("observed_value"))
    outcome.element_count = found.get("element_count")
    outcome.unexpected_count = int(unexpected) if unexpected is not None else None
    samples = [str(i.get("event_id")) for i in found.get("partial_unexpected_index_list") or []]
    outcome.sample_ids = list(dict.fromkeys(samples))[:SAMPLE_IDS]
    return outcome


def _exception_message(info: dict[str, Any]) -> str | None:
    """The first line of the error that stopped an expectation, if one did. GX keeps it flat,
    or per metric."""
    found = [info] + [v for v in info.values() if isinstance(v, dict)]
    for entry in found:
        if entry.get("raised_exception"):
            lines = str(entry.get("exception_message") or "unknown error").strip().splitlines()
            return lines[0][:300]
    return None


def _record(engine: sa.Engine, report: GateReport) -> None:
    rows = [
        {
            **asdict(o),
            "run_id": report.run_id,
            "run_at": report.run_at,
            "sample_ids": ", ".join(o.sample_ids) or None,
        }
        for o in report.outcomes
    ]
    with engine.begin() as conn:
        conn.execute(okr_quality_results.insert(), rows)


def run_gate(url: str, docs: Path, relations: list[str]) -> GateReport:
    """Run the gate in a child process (see child.py: GX keeps its connection to the
    warehouse for the life of the process) and return its report."""
    with tempfile.TemporaryDirectory(prefix="okr-gate-") as folder:
        request = {"url": url, "docs": str(docs), "relations": relations}
        found, code = run_child("okr_plugin.quality", request, Path(folder) / "report.json")
    if found is None:
        raise StoreError(f"the quality gate stopped unexpectedly (exit code {code})")
    if "error" in found:
        raise StoreError(found["error"])
    return GateReport(
        found["run_id"],
        datetime.fromisoformat(found["run_at"]),
        [Outcome(**o) for o in found["outcomes"]],
        Path(found["docs"]),
    )


def _serve(request: dict[str, Any]) -> dict[str, Any]:
    try:
        with Store(request["url"]) as store:
            store.init()
            gate = Gate(request["url"], Path(request["docs"]), request["relations"])
            report = gate.run(store.engine, utc_now())
    except StoreError as err:
        return {"error": str(err)}
    return {
        "run_id": report.run_id,
        "run_at": report.run_at.isoformat(),
        "docs": str(report.docs),
        "outcomes": [asdict(o) for o in report.outcomes],
    }


if __name__ == "__main__":
    serve(_serve)  # the child process of run_gate
