"""The gate's run: every suite validated by Great Expectations over the warehouse, in a child
process (GX keeps its connection to the warehouse for the life of the process)."""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..child import run_child, serve
from ..errors import StoreError
from ..events import utc_now
from ..resources import project_variable
from ..store import Store
from ..warehouse import engine_options, translate
from .dialect import gx_url
from .results import SAMPLE_IDS, WARNING, GateReport, Outcome, outcome_of, record
from .suites import Input, event_checks, event_field_checks, event_fields_query, observation_checks


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.CRITICAL)


class Gate:
    """The suites over one warehouse; run() validates them all and records the results."""

    def __init__(self, url: str, docs: Path, variables: dict[str, Any] | None = None) -> None:
        """variables: the dbt variables of the build the gate guards (--vars): the extra
        observation relations, the alignment depth."""
        self.url = url
        self.docs = docs
        self.relations = list(project_variable("okr_observation_relations", variables) or [])
        self.max_depth = int(project_variable("okr_max_alignment_depth", variables))

    def inputs(self, engine: sa.Engine, now: datetime) -> tuple[list[Input], list[Outcome]]:
        """What to validate; an extra relation not (yet) in the warehouse is a warning."""
        inputs = [
            Input("okr_events", event_checks(now), table="okr_events"),
            Input(
                "okr_event_fields",
                event_field_checks(self.max_depth),
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
            name="warehouse", connection_string=gx_url(self.url), kwargs=engine_options(self.url)
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
                    outcome = outcome_of(validation.suite_name, item.name, found)
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
        record(engine, report)
        return report


def _sample_ids(engine: sa.Engine, query: str, item: Input) -> list[str]:
    """A few offending ids of a failed SQL expectation (GX's summary leaves them out)."""
    sql = f"select * from ({query.replace('{batch}', item.relation_sql)}) as found"
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql + f" limit {SAMPLE_IDS}")).fetchall()
    return [str(row[0]) for row in rows]


def run_gate(url: str, docs: Path, variables: dict[str, Any]) -> GateReport:
    """Run the gate in a child process (see child.py: GX keeps its connection to the
    warehouse for the life of the process) and return its report."""
    with tempfile.TemporaryDirectory(prefix="okr-gate-") as folder:
        request = {"url": url, "docs": str(docs), "variables": variables}
        found, code = run_child("okr_plugin.gate.runner", request, Path(folder) / "report.json")
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
            gate = Gate(request["url"], Path(request["docs"]), request["variables"])
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
