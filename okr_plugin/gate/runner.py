"""The gate's run: every suite validated by Great Expectations over the warehouse, in the
calling process; GX's connections are closed when the run ends, so DuckDB's file is free for
the next writer (dbt's process)."""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..backends import backend_for
from ..events import utc_now
from ..resources import project_variable
from ..schema import okr_quality_runs
from ..store import Store
from ..warehouse import translate
from .results import (
    SAMPLE_IDS,
    WARNING,
    GateReport,
    Outcome,
    Scope,
    describe,
    outcome_of,
    record,
)
from .suites import (
    Check,
    Input,
    event_checks,
    event_field_checks,
    event_fields_query,
    observation_checks,
)


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.CRITICAL)


class Gate:
    """The suites over one warehouse; run() validates them and records the results.

    A run checks the rows appended since the last passing run (okr_quality_runs): by
    sequence_no in okr_events and okr_observations, by recorded_at less the models' lookback
    (okr_incremental_lookback_hours) in extra observation relations. A full run (okr check
    --full, okr build --full-refresh, or no passing run yet) checks every row.
    """

    def __init__(
        self,
        url: str,
        docs: Path,
        variables: dict[str, Any] | None = None,
        full: bool = False,
        always_report: bool = False,
    ) -> None:
        """variables: the dbt variables of the build the gate guards (--vars): the extra
        observation relations, the alignment depth, the lookback. The HTML report is written
        when a check fails, and on every run with always_report."""
        self.url = url
        self.backend = backend_for(url)
        self.docs = docs
        self.full = full
        self.always_report = always_report
        self.relations = list(project_variable("okr_observation_relations", variables) or [])
        self.max_depth = int(project_variable("okr_max_alignment_depth", variables))
        self.lookback = timedelta(
            hours=float(project_variable("okr_incremental_lookback_hours", variables))
        )

    def scope(self, conn: sa.Connection, relation: str, has_sequence: bool) -> Scope:
        """Which rows of the relation this run checks, and the watermark a pass records."""
        column = "sequence_no" if has_sequence else "recorded_at"
        through = conn.execute(sa.text(f"select max({column}) from {relation}")).scalar()
        last = None
        if not self.full:
            last = conn.execute(
                sa.select(okr_quality_runs)
                .where(okr_quality_runs.c.table_name == relation, okr_quality_runs.c.passed)
                .order_by(okr_quality_runs.c.run_at.desc())
                .limit(1)
            ).first()
        if isinstance(through, datetime) and through.tzinfo is not None:
            through = through.astimezone(UTC).replace(tzinfo=None)
        scope = Scope(relation)
        if has_sequence:
            scope.through_sequence_no = through
        else:
            scope.through_recorded_at = through
        if last is None:
            return scope
        # rows whose watermark column is missing are in every scope: a check fails on them
        if has_sequence:
            scope.after_sequence_no = last.through_sequence_no or 0
            scope.where = f"sequence_no > {scope.after_sequence_no} or sequence_no is null"
        elif last.through_recorded_at is not None:
            scope.after_recorded_at = last.through_recorded_at - self.lookback
            moment = scope.after_recorded_at.isoformat(sep=" ")
            scope.where = f"recorded_at > cast('{moment}' as timestamp) or recorded_at is null"
        return scope

    def scopes(self, engine: sa.Engine) -> tuple[list[Scope], list[Outcome]]:
        """The rows each input relation has in scope (okr_events, okr_observations, then the
        extra relations in the warehouse); an extra relation not (yet) in it is a warning."""
        inspector = sa.inspect(engine)
        found, missing = [], []
        for relation in self.relations:
            schema, _, name = relation.rpartition(".")
            if inspector.has_table(name, schema=schema or None) or name in (
                inspector.get_view_names(schema=schema or None)
            ):
                found.append(relation)
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
        with engine.connect() as conn:
            events = self.scope(conn, "okr_events", has_sequence=True)
            observations = self.scope(conn, "okr_observations", has_sequence=True)
            extras = [self.scope(conn, r, has_sequence=False) for r in found]
            scopes = [events, observations, *extras]
            for scope in scopes:
                count = f"select count(*) from ({scope.rows()}) as checked"
                scope.rows_checked = conn.execute(sa.text(count)).scalar_one()
        return scopes, missing

    def inputs(self, scopes: list[Scope], now: datetime) -> list[Input]:
        """What to validate: a suite per input relation, over the rows in its scope."""
        adapter = self.backend.adapter
        events, observations, *extras = scopes
        inputs = [
            _input("okr_events", event_checks(now, events), events),
            _input(
                "okr_event_fields",
                event_field_checks(self.max_depth, adapter),
                events,
                event_fields_query(adapter),
            ),
            _input(
                "okr_observations",
                observation_checks(now, observations, has_sequence=True),
                observations,
            ),
        ]
        for scope in extras:
            checks = observation_checks(now, scope, has_sequence=False)
            inputs.append(_input(scope.relation, checks, scope))
        return inputs

    def run(self, engine: sa.Engine, now: datetime) -> GateReport:
        """Validate the rows in scope and record the outcome; with no row in any scope (nothing
        appended since the last passing run), record nothing and leave GX unloaded."""
        try:
            scopes, outcomes = self.scopes(engine)
        except sa.exc.DBAPIError as err:
            raise translate(err, self.url) from None
        if not outcomes and all(s.where is not None and s.rows_checked == 0 for s in scopes):
            return GateReport(uuid.uuid4().hex, now, [], None, scopes, nothing_new=True)
        _quiet_gx()
        import great_expectations as gx
        from great_expectations.checkpoint.actions import UpdateDataDocsAction
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.datasource.fluent.interfaces import GxDatasourceWarning

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
        with warnings.catch_warnings():
            # one generic SQL datasource for every warehouse, whatever GX would suggest
            warnings.simplefilter("ignore", GxDatasourceWarning)
            # `kwargs` (create_engine arguments) is a field of GX's SQL datasource its stub omits
            source = context.data_sources.add_sql(  # type: ignore[call-arg]
                name="warehouse",
                connection_string=self.backend.gx_url(),
                kwargs=self.backend.engine_options(),
            )
        try:
            inputs = self.inputs(scopes, now)
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
                    asset = source.add_table_asset(item.name, table_name=str(item.table))
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
                    result_format={
                        "result_format": "SUMMARY",
                        "unexpected_index_column_names": ["event_id"],
                        "partial_unexpected_count": SAMPLE_IDS,
                    },
                )
            )
            result = checkpoint.run()
            written = self.always_report or not result.success
            if written:
                UpdateDataDocsAction(name="docs", site_names=["okr"]).run(result)
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
            # the datasource's engine and the one GX validates with: DuckDB's file stays
            # locked while either holds a connection
            source.get_engine().dispose()
            source.get_execution_engine().engine.dispose()
        report = GateReport(
            uuid.uuid4().hex,
            now,
            outcomes,
            self.docs if written else None,
            scopes,
            describe(scopes),
        )
        record(self.backend, engine, report)
        return report


def _input(name: str, checks: list[Check], scope: Scope, select: str | None = None) -> Input:
    """The input of a suite: the relation itself when every row is checked, no `select`
    reshapes it and it has no schema (GX deprecates table assets in another schema), else a
    query of the rows in scope."""
    if scope.where is None and select is None and "." not in scope.relation:
        return Input(name, checks, table=scope.relation)
    return Input(name, checks, query=scope.rows(select))


def _sample_ids(engine: sa.Engine, query: str, item: Input) -> list[str]:
    """A few offending ids of a failed SQL expectation (GX's summary leaves them out)."""
    sql = f"select * from ({query.replace('{batch}', item.relation_sql)}) as found"
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql + f" limit {SAMPLE_IDS}")).fetchall()
    return [str(row[0]) for row in rows]


def run_gate(
    url: str,
    docs: Path,
    variables: dict[str, Any],
    full: bool = False,
    always_report: bool = False,
) -> GateReport:
    """Run the gate over the warehouse and return its report; `full` checks every row, and
    the HTML report goes to `docs` when a check fails (always, with always_report)."""
    with Store(url) as store:
        store.init()
        gate = Gate(url, docs, variables, full, always_report)
        return gate.run(store.engine, utc_now())
