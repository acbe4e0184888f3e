"""What a gate run found: each expectation's outcome, the run's report, and their record in
okr_quality_results."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..backends import Backend
from ..errors import OkrError
from ..schema import okr_quality_results, okr_quality_runs

CRITICAL = "critical"
WARNING = "warning"
SAMPLE_IDS = 5


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
class Scope:
    """The rows of one input relation a run checks: every row, or (`where`) those appended
    since the last passing run; and the watermark a passing run records in okr_quality_runs."""

    relation: str  # schema.table
    where: str | None = None  # None: every row
    after_sequence_no: int | None = None
    through_sequence_no: int | None = None
    after_recorded_at: datetime | None = None
    through_recorded_at: datetime | None = None
    rows_checked: int = 0

    def rows(self, select: str | None = None) -> str:
        """A SELECT of the rows in scope: `select` (a SELECT over the relation), else `*`."""
        query = select or f"select * from {self.relation}"
        return query + (f" where {self.where}" if self.where else "")


@dataclass
class GateReport:
    run_id: str
    run_at: datetime
    outcomes: list[Outcome]
    docs: Path | None  # the HTML report, if this run wrote it
    scopes: list[Scope] = field(default_factory=list)
    checked: str = ""  # which rows the run checked, for people
    # no row appended since the last passing run: nothing validated, nothing recorded (the next
    # run's scope starts where this one's would have)
    nothing_new: bool = False

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def critical(self) -> list[Outcome]:
        return [o for o in self.failed if o.severity == CRITICAL]

    def summary(self) -> str:
        if self.nothing_new:
            return "quality gate: nothing appended since the last passing run, nothing to check"
        warnings = len(self.failed) - len(self.critical)
        return (
            f"quality gate: {len(self.outcomes)} expectations over {self.checked},"
            f" {len(self.critical)} critical and {warnings} warning failures"
            + (f" (report: {self.docs / 'index.html'})" if self.docs else "")
        )


class QualityGateFailed(OkrError):
    """A critical expectation failed: nothing may be built on these inputs."""


def outcome_of(suite: str, table: str, result: Any) -> Outcome:
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


def describe(scopes: list[Scope]) -> str:
    """Which rows a run checked, in words."""
    if all(s.where is None for s in scopes):
        return "every row"
    counts = ", ".join(f"{s.rows_checked} of {s.relation}" for s in scopes)
    return f"the rows appended since the last passing run ({counts})"


def record(backend: Backend, engine: sa.Engine, report: GateReport) -> None:
    rows = [
        {
            **asdict(o),
            "run_id": report.run_id,
            "run_at": report.run_at,
            "sample_ids": ", ".join(o.sample_ids) or None,
        }
        for o in report.outcomes
    ]
    passed = not report.critical
    runs = [
        {
            **{k: v for k, v in asdict(s).items() if k not in ("relation", "where")},
            "run_id": report.run_id,
            "run_at": report.run_at,
            "table_name": s.relation,
            "full_scan": s.where is None,
            "passed": passed,
        }
        for s in report.scopes
    ]
    with engine.begin() as conn:
        backend.insert_rows(conn, okr_quality_results, rows)
        backend.insert_rows(conn, okr_quality_runs, runs)
