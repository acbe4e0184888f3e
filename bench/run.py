"""okr_plugin benchmark: figures as ratios against references measured in the same run.

    .venv/bin/python bench/run.py [--sizes 1000000 3000000 10000000] [--postgres]

For each size N (observations) it builds a fresh DuckDB warehouse and measures:
- ingest: `okr ingest` of an N-row file into a warehouse already holding N rows, against
  DuckDB loading the same file into a plain table (throughput ratio, target >= 0.5);
- full build: `okr build --full-refresh` against hand-written SQL computing the same
  okr_kpi_rollups in one DuckDB session (time ratio, target <= 3);
- incremental build: `okr build` after ingesting 1% more rows (new, late, corrections) against
  the full build (time ratio, target <= 0.2);
- peak memory (max RSS of the build's processes; target < 4 GiB at 10M);
- the quality gate alone (`okr check`, which every build also runs first);
- publish: `okr publish` of the built warehouse against DuckDB's own `COPY FROM DATABASE` of
  it into a new file (time ratio);
- how good the forecasts were on this data (okr_forecast_accuracy over every client), as
  they come out;
- the full build without the daily history marts (`okr_daily_history: false`), against which
  the incremental build is also measured (target <= 0.15).
Once, on the demo warehouse: `okr build` (gate included) against a bare `dbt build` of the same
project, profile and data (median of three each; target <= 1.5).
With --postgres and --spark, the ingest, full and incremental build at the smallest size on a
throwaway PostgreSQL server and a local Spark Connect server (2 cores here), the full build as a
ratio to DuckDB's of the same size in the same run.
Prints a Markdown table for bench/RESULTS.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import generate  # noqa: E402

OKR = str(Path(sys.executable).with_name("okr"))
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.write(done.stderr.decode()[-2000:])\n"
    "print(time.perf_counter() - start, peak, done.returncode)\n"
)

REFERENCE_ROLLUPS = """
create or replace temp table reference_rollups as
with observations as (
    select * from okr_observations
    qualify row_number() over (
        partition by client_id, kpi_id, observed_at, source, segment
        order by recorded_at desc, sequence_no desc) = 1
),
kpis as (
    select client_id, entity_id as kpi_id,
        json_extract_string(payload, '$.aggregation') as aggregation,
        cast(json_extract_string(payload, '$.target_value') as double) as target_value,
        json_extract_string(payload, '$.target_grain') as target_grain
    from okr_events where event_type = 'kpi_defined'
),
grains as (select unnest(['day', 'week', 'month', 'quarter', 'year']) as grain),
per_segment as (
    select client_id, kpi_id, grain, cast(date_trunc(grain, observed_at) as date) as period_start,
        segment, sum(value) as total, count(*) as n, min(value) as low, max(value) as high,
        arg_max(value, (observed_at, recorded_at, sequence_no)) as latest
    from observations, grains
    group by all
),
combined as (
    select * from per_segment where segment is not null
    union all
    select client_id, kpi_id, grain, period_start, 'all', sum(total), sum(n), min(low),
        max(high), sum(latest)
    from per_segment group by all
),
valued as (
    select c.*, k.target_value, k.target_grain,
        case k.aggregation when 'sum' then total when 'avg' then total / n when 'min' then low
            when 'max' then high when 'count' then n when 'last' then latest end as value
    from combined c join kpis k using (client_id, kpi_id)
)
select *,
    case when lag(period_start) over w = period_start - case grain when 'day' then interval 1 day
        when 'week' then interval 7 day when 'month' then interval 1 month
        when 'quarter' then interval 3 month else interval 1 year end
    then lag(value) over w end as previous_value,
    case when target_grain = grain then value / nullif(target_value, 0) end as attainment
from valued
window w as (partition by client_id, kpi_id, grain, segment order by period_start)
"""


def measure(*args: str, env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of a command and its children, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, env=env
    )
    seconds, rss, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stderr[-2000:]}")
    return float(seconds), int(rss)


def okr(*args: str, env: dict[str, str]) -> None:
    """An `okr` command that is set-up, not measured."""
    subprocess.run([OKR, *args], check=True, env=env, stdout=subprocess.DEVNULL)


def timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_size(rows: int, folder: Path, env: dict[str, str]) -> dict[str, float]:
    warehouse = folder / f"bench_{rows}.duckdb"
    events = generate.goal_events(folder / "goals.jsonl")
    first = generate.observations(folder / f"first_{rows}.parquet", rows, "a")
    second = generate.observations(folder / f"second_{rows}.parquet", rows, "b", offset_minutes=3)
    extra = generate.delta(folder / f"delta_{rows}.parquet", rows)
    url = str(warehouse)
    okr("append", str(events), "--warehouse", url, env=env)
    first_ingest, _ = measure(OKR, "ingest", str(first), "--warehouse", url, env=env)
    ingest, ingest_rss = measure(OKR, "ingest", str(second), "--warehouse", url, env=env)
    plain = folder / "plain.duckdb"
    plain.unlink(missing_ok=True)
    with duckdb.connect(str(plain)) as conn:
        reference_load = timed(
            lambda: conn.execute(f"create table t as select * from read_parquet('{second}')")
        )
    plain.unlink()
    gate, gate_rss = measure(OKR, "check", "--warehouse", url, env=env)
    no_daily = "{okr_daily_history: false}"
    full_no_daily, _ = measure(
        OKR, "build", "--full-refresh", "--vars", no_daily, "--warehouse", url, env=env
    )
    full, full_rss = measure(OKR, "build", "--full-refresh", "--warehouse", url, env=env)
    with duckdb.connect(url) as conn:
        reference_build = timed(lambda: conn.execute(REFERENCE_ROLLUPS))
        reference_rows = conn.execute("select count(*) from reference_rollups").fetchone()[0]
        model_rows = conn.execute("select count(*) from okr_kpi_rollups").fetchone()[0]
        # how good the forecasts were on this data, as they come out (every client)
        accuracy = conn.execute(
            "select elapsed_share, forecasts, band_coverage, mean_absolute_error, brier_score"
            " from okr_forecast_accuracy where scope = 'overall' order by elapsed_share"
        ).fetchall()
    okr("ingest", str(extra), "--warehouse", url, env=env)
    incremental, incremental_rss = measure(OKR, "build", "--warehouse", url, env=env)
    publish, _ = measure(OKR, "publish", "--warehouse", url, env=env)
    snapshot_mib = warehouse.with_name(f"{warehouse.stem}.published.duckdb").stat().st_size / 2**20
    copy = folder / "copy.duckdb"
    with duckdb.connect() as conn:
        conn.execute(f"attach '{warehouse}' as source (read_only)")
        conn.execute(f"attach '{copy}' as target")
        reference_copy = timed(lambda: conn.execute("copy from database source to target"))
    copy.unlink()
    warehouse.with_name(f"{warehouse.stem}.published.duckdb").unlink()
    warehouse.unlink()
    return {
        "rows": rows,
        "first_ingest_s": first_ingest,
        "ingest_s": ingest,
        "reference_load_s": reference_load,
        "ingest_ratio": reference_load / ingest,
        "full_build_s": full,
        "reference_build_s": reference_build,
        "build_ratio": full / reference_build,
        "incremental_s": incremental,
        "incremental_ratio": incremental / full,
        "full_no_daily_s": full_no_daily,
        "incremental_no_daily_ratio": incremental / full_no_daily,
        "gate_s": gate,
        "gate_rss_gib": gate_rss / 2**20,
        "peak_rss_gib": max(full_rss, incremental_rss) / 2**20,
        "ingest_rss_gib": ingest_rss / 2**20,
        "publish_s": publish,
        "reference_copy_s": reference_copy,
        "publish_ratio": publish / reference_copy,
        "snapshot_mib": snapshot_mib,
        "rollup_rows": model_rows,
        "reference_rows": reference_rows,
        "forecast_accuracy": [list(row) for row in accuracy],
    }


def run_demo(folder: Path, env: dict[str, str]) -> dict[str, float]:
    """`okr build` of the demo warehouse against a bare `dbt build` of the same project with the
    profile okr wrote, the same variables and no unit tests (as okr builds): medians of three."""
    url = str(folder / "demo.duckdb")
    okr("demo", "--warehouse", url, env=env)
    profiles = next((folder / "cache" / "okr_plugin").glob("*/profiles.yml")).parent
    from okr_plugin.resources import project_dir

    dbt = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--project-dir",
        str(project_dir()),
        "--profiles-dir",
        str(profiles),
        "--target-path",
        str(profiles / "target"),
        "--vars",
        '{as_of: "2026-08-15"}',
        "--exclude-resource-type",
        "unit_test",
    ]
    build = [OKR, "build", "--as-of", "2026-08-15", "--warehouse", url]
    okr_s = sorted(measure(*build, env=env)[0] for _ in range(3))[1]
    dbt_s = sorted(measure(*dbt, env=env)[0] for _ in range(3))[1]
    return {"okr_build_s": okr_s, "dbt_build_s": dbt_s, "ratio": okr_s / dbt_s}


def run_server(kind: str, rows: int, folder: Path, env: dict[str, str]) -> dict[str, float]:
    """Ingest and full build of N rows on a throwaway PostgreSQL or local Spark Connect server
    (Spark: its JVM is a server process, so the peak RSS is okr's and dbt's side only)."""
    with ExitStack() as stack:
        if kind == "postgres":
            from postgres import PostgresServer, spare_port

            server = PostgresServer().start()
            stack.callback(server.stop)
            url = server.new_database()
        else:
            from postgres import spare_port

            from okr_plugin.sparkconnect import server as spark

            base = stack.enter_context(spark.server(folder / "spark", spare_port()))
            url = f"{base}/bench"
        events = generate.goal_events(folder / "goals.jsonl")
        first = generate.observations(folder / f"{kind}_{rows}.parquet", rows, "a")
        extra = generate.delta(folder / f"{kind}_delta_{rows}.parquet", rows)
        okr("append", str(events), "--warehouse", url, env=env)
        ingest, _ = measure(OKR, "ingest", str(first), "--warehouse", url, env=env)
        full, rss = measure(OKR, "build", "--full-refresh", "--warehouse", url, env=env)
        okr("ingest", str(extra), "--warehouse", url, env=env)
        incremental, _ = measure(OKR, "build", "--warehouse", url, env=env)
        return {
            "rows": rows,
            "ingest_s": ingest,
            "full_build_s": full,
            "incremental_s": incremental,
            "peak_rss_gib": rss / 2**20,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--spark", action="store_true", help="a local Spark Connect server")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="okr-bench-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(folder / "cache")}
    results = []
    try:
        print(json.dumps({"demo": run_demo(folder, env)}), flush=True)
        for rows in args.sizes:
            result = run_size(rows, folder, env)
            results.append(result)
            print(json.dumps(result), flush=True)
        for kind in ("postgres", "spark"):
            if getattr(args, kind):
                found = run_server(kind, min(args.sizes), folder, env)
                found["build_vs_duckdb"] = found["full_build_s"] / results[0]["full_build_s"]
                print(json.dumps({kind: found}), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}"
    )
    print(
        "\n| rows | ingest s (ref) | ingest ratio | full build s (ref) | build ratio "
        "| incremental s | incr. ratio | full build without daily marts s | incr. ratio to it "
        "| peak RSS GiB | okr check s (RSS GiB) | okr publish s (COPY FROM DATABASE s) "
        "| publish ratio |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['rows']:,} | {r['ingest_s']:.1f} ({r['reference_load_s']:.1f}) "
            f"| {r['ingest_ratio']:.2f} | {r['full_build_s']:.1f} ({r['reference_build_s']:.1f}) "
            f"| {r['build_ratio']:.2f} | {r['incremental_s']:.1f} | {r['incremental_ratio']:.2f} "
            f"| {r['full_no_daily_s']:.1f} | {r['incremental_no_daily_ratio']:.2f} "
            f"| {r['peak_rss_gib']:.2f} | {r['gate_s']:.1f} ({r['gate_rss_gib']:.2f}) "
            f"| {r['publish_s']:.1f} ({r['reference_copy_s']:.1f}) | {r['publish_ratio']:.2f} |"
        )
    print("\n| rows | made at | forecasts | band coverage | mean absolute error | Brier score |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        for share, forecasts, coverage, error, brier in r["forecast_accuracy"]:
            print(
                f"| {r['rows']:,} | {share:.0%} | {forecasts:,} | {coverage:.2f} | {error:.3f} "
                f"| {brier:.3f} |"
            )


if __name__ == "__main__":
    main()
