"""An incremental build after new, late, corrected and backfilled observations gives exactly
the tables a --full-refresh gives."""

from __future__ import annotations

from typing import Any

from test_kpis_end_to_end import GOALS, LAST_JSONL, SUM_CSV

from okr_plugin.build import work_dir

from conftest import Workspace

TABLES = {
    "int_okr__kpi_daily_segments": "client_id, kpi_id, segment_key, date_day, known_from",
    "okr_kpi_rollups": "client_id, kpi_id, grain, period_start, segment",
    "okr_kpis": "client_id, kpi_id",
    "okr_key_results": "client_id, key_result_id",
}

MORE_CSV = """client_id,kpi_id,observed_at,value,source,segment,recorded_at
acme,k-sum,2026-01-06T12:00:00Z,11,ga4,us,
acme,k-sum,2025-12-29T12:00:00Z,9,ga4,fr,
acme,k-sum,2026-01-01T12:00:00Z,31,ga4,us,
acme,k-sum,2026-01-05T12:00:00Z,1,ga4,de,2026-01-02T00:00:00Z
acme,k-last,2026-03-31T10:00:00Z,111,stripe,eu,
"""
# line 2: a new day; 3: late (an old day, a new segment); 4: a correction of 1 January's 30
# (same observed_at, source, segment; recorded now, so it wins); 5: a backfill whose
# recorded_at (2 January) is older than anything in the table, caught by its sequence_no
# (it is not a correction: its observed_at differs from the stored 40's); 6: a correction.


def _tables(ws: Workspace) -> dict[str, list[dict[str, Any]]]:
    return {
        table: [
            {k: v for k, v in row.items() if k != "as_of_at"}
            for row in ws.rows(f"select * from {table} order by {key}")
        ]
        for table, key in TABLES.items()
    }


def test_incremental_equals_full_refresh(workspace: Workspace) -> None:
    ws = workspace
    assert ws.append(GOALS).code == 0
    (ws.folder / "sum.csv").write_text(SUM_CSV)
    (ws.folder / "last.jsonl").write_text(LAST_JSONL)
    assert ws.okr("ingest", "sum.csv", "last.jsonl").code == 0
    assert ws.okr("build").code == 0
    before = _tables(ws)

    (ws.folder / "more.csv").write_text(MORE_CSV)
    assert ws.okr("ingest", "more.csv").code == 0
    incremental = ws.okr("build")
    assert incremental.code == 0, incremental.err
    ran = work_dir(ws.url) / "target" / "run" / "okr_plugin" / "models" / "intermediate"
    # the incremental path ran: a delete+insert of the touched days, not a rebuild
    assert "delete from" in (ran / "int_okr__kpi_daily_segments.sql").read_text().lower()
    after_incremental = _tables(ws)
    assert after_incremental != before  # the new rows arrived

    full = ws.okr("build", "--full-refresh")
    assert full.code == 0, full.err
    assert _tables(ws) == after_incremental

    # and the numbers, by hand: week of 29 Dec was 20 + 5 + 30 + 7 = 62; the correction makes
    # 1 January's us 31 (+1) and the late fr row adds 9: 72.
    week = ws.rows(
        "select value from okr_kpi_rollups where kpi_id = 'k-sum' and grain = 'week'"
        " and segment = 'all' and period_start = '2025-12-29'"
    )
    assert week[0]["value"] == 72
