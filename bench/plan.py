"""okr_plugin benchmark of `okr plan import`: a 10,000-row plan sheet, against reading it.

    .venv/bin/python bench/plan.py [--rows 10000]

In a fresh DuckDB warehouse it measures, each as seconds and as a ratio to openpyxl's own
reading of the same file in the same run (the floor: a plan cannot be imported faster than
its sheet is read):
- a first import: the whole plan new (2,000 objectives of 5 key results: 12,000 events);
- after a build (without the daily history), the same sheet again: diffed against the 10,000
  key results, nothing appended (the target: under 10 s);
- the sheet with 1,000 targets changed: diffed, 1,000 events appended.
Prints a Markdown table for bench/RESULTS.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from okr_plugin.plan import COLUMNS

OKR = str(Path(sys.executable).with_name("okr"))


def write_sheet(path: Path, rows: int, changed: int = 0) -> None:
    """A plan of `rows` key results, 5 to an objective; the first `changed` targets raised."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Plan"
    at = {column.name: i for i, column in enumerate(COLUMNS)}
    sheet.append([column.name for column in COLUMNS])
    for k in range(rows):
        row: list[object] = [None] * len(COLUMNS)
        values = {
            "objective_id": f"o-{k // 5}",
            "objective": f"Objective {k // 5}",
            "level": "team",
            "period": "2026-Q4",
            "key_result_id": f"kr-{k}",
            "key_result": f"Key result {k}",
            "target_value": 100 + k + (50 if k < changed else 0),
            "unit": "leads",
        }
        for name, value in values.items():
            row[at[name]] = value
        sheet.append(row)
    book.save(path)


def timed(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([OKR, *args], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory(prefix="okr-bench-plan-") as folder:
        base = Path(folder)
        plan, edited = base / "plan.xlsx", base / "edited.xlsx"
        write_sheet(plan, rows)
        write_sheet(edited, rows, changed=rows // 10)
        start = time.perf_counter()
        openpyxl.load_workbook(plan, data_only=True)
        reading = time.perf_counter() - start
        warehouse = ["--warehouse", f"duckdb:///{base / 'okr.duckdb'}", "--client", "bench"]
        first, first_line = timed("plan", "import", str(plan), *warehouse)
        subprocess.run(
            [OKR, "build", "--warehouse", warehouse[1], "--vars", "{okr_daily_history: false}"],
            capture_output=True,
            check=True,
        )
        again, again_line = timed("plan", "import", str(plan), *warehouse)
        changed, changed_line = timed("plan", "import", str(edited), *warehouse)
    print(f"| step ({rows:,} rows) | seconds | ratio to reading the sheet | what it did |")
    print("| --- | --- | --- | --- |")
    print(f"| openpyxl reads the sheet (reference) | {reading:.2f} | 1 | |")
    for name, seconds, line in (
        ("first import, all new", first, first_line),
        ("the same sheet, diffed against the state", again, again_line),
        (f"{rows // 10:,} targets changed", changed, changed_line),
    ):
        print(f"| {name} | {seconds:.2f} | {seconds / reading:.1f} | {line.split(' (')[0]} |")


if __name__ == "__main__":
    main()
