"""Synthetic agency data for the benchmark: goal events and observation files.

50 clients, 1,000 KPIs (20 a client, aggregations mixed, 0-3 segments), 2,000 objectives and
8,000 key results (a quarter of them fed by KPIs), observations spread over two years
(September 2024 - August 2026).
DuckDB writes the observation files directly, so generating 10M rows takes seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

CLIENTS = 50
KPIS = 1000
KEY_RESULTS = 8000
AGGREGATIONS = ["sum", "avg", "min", "max", "last", "count"]
QUARTERS = ["2024-Q4"] + [f"{year}-Q{q}" for year in (2025, 2026) for q in (1, 2, 3)]


def goal_events(path: Path) -> Path:
    """kpi_defined for every KPI, 4 key results per objective, every fourth fed by a KPI."""
    lines = []
    for k in range(KPIS):
        client = f"c{k % CLIENTS}"
        grain = ["month", "quarter", None][k % 3]
        payload = {"name": f"KPI {k}", "aggregation": AGGREGATIONS[k % len(AGGREGATIONS)]}
        if grain:
            payload |= {"target_value": 1000 + k, "target_grain": grain}
        lines.append(_event(f"kpi-def-{k}", "kpi_defined", client, f"kpi{k}", payload))
    for o in range(KEY_RESULTS // 4):
        client = f"c{o % CLIENTS}"
        lines.append(
            _event(
                f"obj-{o}",
                "objective_created",
                client,
                f"o{o}",
                {
                    "title": f"Objective {o}",
                    "level": "team",
                    "owner": f"owner{o % 7}",
                    "period": QUARTERS[o % len(QUARTERS)],
                },
            )
        )
        for r in range(4):
            n = o * 4 + r
            payload = {
                "objective_id": f"o{o}",
                "title": f"KR {n}",
                "target_value": 100 + n,
                "owner": f"owner{n % 11}",
            }
            if r == 0:  # a quarter of the key results are fed by one of the client's KPIs
                payload["kpi_id"] = f"kpi{(o % CLIENTS) + CLIENTS * (n % (KPIS // CLIENTS))}"
            lines.append(_event(f"kr-{n}", "key_result_created", client, f"kr{n}", payload))
            lines.append(
                _event(
                    f"ci-{n}",
                    "key_result_checked_in",
                    client,
                    f"kr{n}",
                    {"value": n % 150},
                    at="2025-02-01T00:00:00Z",
                )
            )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _event(
    event_id: str,
    event_type: str,
    client: str,
    entity: str,
    payload: dict[str, object],
    at: str = "2025-01-01T00:00:00Z",
) -> dict[str, object]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "client_id": client,
        "entity_id": entity,
        "occurred_at": at,
        "recorded_at": at,
        "payload": payload,
    }


# Row i of a file: its client, KPI, segment and day (SQL over i), the same in every file, so
# that the delta's corrections meet the rows they correct.
KPI = f"'kpi' || (i % {KPIS})"
CLIENT = f"'c' || ((i % {KPIS}) % {CLIENTS})"
SEGMENT = f"case when (i % {KPIS}) % 4 = 0 then null else 'seg' || (i % ((i % {KPIS}) % 4 + 1)) end"
DAY = f"timestamp '2024-09-01' + to_days(cast((i // {KPIS}) % 730 as integer))"


def observations(path: Path, rows: int, prefix: str, offset_minutes: int = 0) -> Path:
    """`rows` observations of the 1,000 KPIs over 730 days from 1 September 2024, as Parquet.

    KPI k has k % 4 segments (none for k % 4 == 0). Row i observes KPI i % 1000 on day
    (i // 1000) % 730, so every KPI gets about rows / 1000 observations."""
    duckdb.sql(
        f"""
        copy (
            select
                '{prefix}' || i as event_id,
                {CLIENT} as client_id,
                {KPI} as kpi_id,
                {DAY} + to_minutes(cast((i * 7) % 1440 + {offset_minutes} as integer))
                    as observed_at,
                ((i * 7919) % 100000) / 100.0 as value,
                'ga4' as source,
                {SEGMENT} as segment,
                {DAY} + to_hours(30) as recorded_at
            from range({rows}) as t(i)
        ) to '{path}' (format parquet)
        """
    )
    return path


def delta(path: Path, base_rows: int) -> Path:
    """1% of base_rows: 80% new rows (mid-September 2026), 10% late rows for an old day,
    10% corrections (the natural key of an existing row, a new value); all recorded now."""
    n = max(base_rows // 100, 10)
    duckdb.sql(
        f"""
        copy (
            select
                'delta' || i as event_id,
                {CLIENT} as client_id,
                {KPI} as kpi_id,
                case
                    when i % 10 = 0 then  -- a correction of base row j = i (same natural key)
                        {DAY} + to_minutes(cast((i * 7) % 1440 as integer))
                    when i % 10 = 1 then
                        timestamp '2025-03-01' + to_minutes(cast(i % 1440 as integer))
                    else timestamp '2026-09-15' + to_minutes(cast(i % 1440 as integer))
                end as observed_at,
                (i % 1000) / 10.0 + 0.5 as value,
                'ga4' as source,
                {SEGMENT} as segment,
                cast(null as timestamp) as recorded_at  -- assigned at ingest: now
            from range({n}) as t(i)
        ) to '{path}' (format parquet)
        """
    )
    return path
