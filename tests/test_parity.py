"""The same events built on DuckDB and on PostgreSQL give the same marts, row by row."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_kpis_end_to_end import GOALS as KPI_GOALS
from test_kpis_end_to_end import LAST_JSONL, SUM_CSV
from test_scoring_end_to_end import SCENARIO

from conftest import Workspace, assert_same_marts, load_demo, marts, new_workspace

# When a build ran and what it had received by then: two builds differ there.
LINEAGE = {"as_of_at", "known_at"}
# Marts with no row as of a day: the demo's annotations are recorded in July, the scenarios
# have none.
EMPTY = {"2026-04-03": {"okr_annotations", "okr_annotation_days"}}


def test_duckdb_and_postgres_build_identical_marts(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    loaded: dict[str, Workspace] = {}
    for kind in ("duckdb", "postgres"):
        folder = tmp_path / kind
        folder.mkdir()
        ws = new_workspace(kind, folder, request)
        load_demo(ws)
        assert ws.append(SCENARIO).code == 0
        assert ws.append(KPI_GOALS, name="kpis.jsonl").code == 0
        (folder / "sum.csv").write_text(SUM_CSV)
        (folder / "last.jsonl").write_text(LAST_JSONL)
        assert ws.okr("ingest", "sum.csv", "last.jsonl").code == 0
        loaded[kind] = ws
    # before any objective of the demo starts, and the demo's day
    for as_of in ("2026-04-03", "2026-08-15"):
        for ws in loaded.values():
            assert ws.okr("build", "--as-of", as_of).code == 0
        duck, pg = (marts(loaded[kind], LINEAGE) for kind in ("duckdb", "postgres"))
        for mart, rows in duck.items():
            assert rows or mart in EMPTY.get(as_of, ()), (as_of, mart)  # something compared
        assert_same_marts(duck, pg)
