"""What checking an observation file for UTF-8 costs `okr ingest` (#15).

    .venv/bin/python bench/scan.py [--rows 10000000]

Writes the benchmark's observations as a CSV and times, in this process: the pass that counts
the file's lines alone (what ingest made before #15; the reference), `ingest._scan` (the same
pass, also decoding every block as UTF-8), DuckDB reading the file (`count(*)` of `read_csv`)
and the whole `okr ingest` of the file into a fresh DuckDB warehouse. Prints the seconds and
the ratios of the scan to the line count and to the ingest, best of three each but the ingest.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import observations  # noqa: E402

from okr_plugin.ingest import _scan, ingest  # noqa: E402
from okr_plugin.store import Store  # noqa: E402


def count_lines(path: Path) -> int:
    """The line count alone, in 1 MiB blocks: the reference."""
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return count


def best_of_three(action: Callable[[], object]) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory(prefix="okr-bench-scan-") as folder:
        parquet = observations(Path(folder) / "obs.parquet", rows, "s")
        csv = Path(folder) / "obs.csv"
        duckdb.sql(f"copy (from '{parquet}') to '{csv}' (header true)")
        size = csv.stat().st_size
        counted = best_of_three(lambda: count_lines(csv))
        scanned = best_of_three(lambda: _scan(csv))
        read = best_of_three(
            lambda: duckdb.sql(
                f"select count(*) from read_csv('{csv}', all_varchar = true)"
            ).fetchall()
        )
        started = time.perf_counter()
        with Store(f"duckdb:///{folder}/w.duckdb") as store:
            ingest(store, [str(csv)])
        ingested = time.perf_counter() - started
    print(f"{rows:,} rows, {size / 2**20:,.0f} MiB of CSV")
    print(
        "| line count s (ref) | scan with UTF-8 check s | ratio | DuckDB read_csv s |"
        " okr ingest s | scan / ingest |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    print(
        f"| {counted:.2f} | {scanned:.2f} | {scanned / counted:.2f} | {read:.2f} |"
        f" {ingested:.1f} | {scanned / ingested:.3f} |"
    )


if __name__ == "__main__":
    main()
