"""The same events built on DuckDB and on PostgreSQL give the same marts, row by row."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from test_kpis_end_to_end import GOALS as KPI_GOALS
from test_kpis_end_to_end import LAST_JSONL, SUM_CSV
from test_scoring_end_to_end import SCENARIO

from okr_plugin.resources import mart_names

from conftest import Workspace, in_key_order, model_keys, new_workspace

# When a build ran and what it had received by then: two builds differ there.
LINEAGE = {"as_of_at", "known_at"}
# Marts with no row as of a day: the demo's annotations are recorded in July, the scenarios
# have none.
EMPTY = {"2026-04-03": {"okr_annotations", "okr_annotation_days"}}


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return bool(left == right)


@pytest.mark.parametrize("as_of", ["2026-08-15", "2026-04-03"])
def test_duckdb_and_postgres_build_identical_marts(
    as_of: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    built: dict[str, Workspace] = {}
    for kind in ("duckdb", "postgres"):
        folder = tmp_path / kind
        folder.mkdir()
        ws = new_workspace(kind, folder, request)
        assert ws.okr("demo").code == 0
        assert ws.append(SCENARIO).code == 0
        assert ws.append(KPI_GOALS, name="kpis.jsonl").code == 0
        (folder / "sum.csv").write_text(SUM_CSV)
        (folder / "last.jsonl").write_text(LAST_JSONL)
        assert ws.okr("ingest", "sum.csv", "last.jsonl").code == 0
        assert ws.okr("build", "--as-of", as_of).code == 0
        built[kind] = ws
    for mart in mart_names():
        duck, pg = (built[kind].rows(in_key_order(mart)) for kind in ("duckdb", "postgres"))
        assert len(duck) == len(pg), mart
        assert duck or mart in EMPTY.get(as_of, ()), mart  # nothing compared, nothing shown
        for d, p in zip(duck, pg, strict=True):
            assert d.keys() == p.keys()
            different = {c: (d[c], p[c]) for c in d if c not in LINEAGE and not _same(d[c], p[c])}
            assert not different, f"{mart} {[d.get(k) for k in model_keys()[mart]]}: {different}"
