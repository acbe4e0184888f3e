"""The same events built on DuckDB and on PostgreSQL give the same marts, row by row."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_spark import assert_same_marts, load, marts

from conftest import new_workspace


@pytest.mark.parametrize("as_of", ["2026-08-15", "2026-04-03"])
def test_duckdb_and_postgres_build_identical_marts(
    as_of: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The inputs of the Spark comparison (the demo's, the scoring and KPI scenarios, a random
    history, the score property's trees), every mart compared."""
    built = {}
    for kind in ("duckdb", "postgres"):
        ws = new_workspace(kind, tmp_path / kind, request)
        ws.folder.mkdir()
        load(ws)
        run = ws.okr("build", "--as-of", as_of)
        assert run.code == 0, run.err
        built[kind] = marts(ws, ignore=set(), daily=True)  # as of a day: the same moment
    assert built["duckdb"]["okr_objectives"] and built["duckdb"]["okr_kpi_rollups"]
    assert_same_marts(built["duckdb"], built["postgres"])
