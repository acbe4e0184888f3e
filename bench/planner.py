"""What the marts' missing column statistics cost the planner on PostgreSQL (#24).

    .venv/bin/python bench/planner.py [--rows 1000000]

Builds the benchmark warehouse (bench/generate.py: 50 clients, N observations) on a throwaway
PostgreSQL server with okr, whose marts have no column statistics (a client's `explain` would
otherwise read other clients' values from them), grants a role one client, and times every
question of bi/sql as that role and as the owner, median of five: first as okr leaves the marts
(analysed: table sizes only), then with each mart's statistics targets back to PostgreSQL's
default and analysed, the reference measured in the same run. Prints a Markdown table for
bench/RESULTS.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import generate  # noqa: E402
from postgres import PostgresServer  # noqa: E402

from okr_plugin.resources import bi_dir, mart_names  # noqa: E402

OKR = str(Path(sys.executable).with_name("okr"))
RUNS = 5


def okr(*args: str) -> None:
    subprocess.run([OKR, *args], check=True, stdout=subprocess.DEVNULL)


def analyse(url: str, targets: int | None) -> None:
    """Each mart analysed; with `targets`, its columns' statistics targets set first (-1: the
    server's default)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for mart in mart_names():
            if targets is not None:
                columns = sa.inspect(conn).get_columns(mart)
                alter = ", ".join(
                    f'alter column "{c["name"]}" set statistics {targets}' for c in columns
                )
                conn.exec_driver_sql(f"alter table {mart} {alter}")
            conn.exec_driver_sql(f"analyze {mart}")
    engine.dispose()


def seconds(url: str, sql: str) -> float:
    """Median wall time of the question, every row fetched, over RUNS runs (one warm-up)."""
    engine = sa.create_engine(url)
    times = []
    with engine.connect() as conn:
        for run in range(RUNS + 1):
            start = time.perf_counter()
            conn.exec_driver_sql(sql).fetchall()
            if run:
                times.append(time.perf_counter() - start)
            conn.rollback()
    engine.dispose()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="okr-bench-stats-"))
    server = PostgresServer().start()
    try:
        url = server.new_database()
        okr("append", str(generate.goal_events(folder / "goals.jsonl")), "--warehouse", url)
        observations = generate.observations(folder / "obs.parquet", args.rows, "a")
        okr("ingest", str(observations), "--warehouse", url)
        okr("build", "--warehouse", url)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("create role client_c7 login")
        engine.dispose()
        okr("access", "grant", "--role", "client_c7", "--client", "c7", "--warehouse", url)
        role = str(sa.make_url(url).set(username="client_c7").render_as_string(False))
        questions = sorted((bi_dir() / "sql").glob("*.sql"))
        found: dict[str, dict[str, float]] = {q.stem: {} for q in questions}
        for label, targets in (("without", None), ("with", -1)):
            analyse(url, targets)
            for question in questions:
                sql = question.read_text()
                found[question.stem][f"client {label}"] = seconds(role, sql)
                found[question.stem][f"owner {label}"] = seconds(url, sql)
    finally:
        server.stop()
    print(f"{args.rows:,} observations, PostgreSQL, {platform.machine()}; median of {RUNS} (s)\n")
    print(
        "| question | client role, no statistics | with | ratio"
        " | owner, no statistics | with | ratio |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, t in found.items():
        client = t["client without"] / t["client with"]
        owner = t["owner without"] / t["owner with"]
        print(
            f"| {name} | {t['client without']:.3f} | {t['client with']:.3f} | {client:.2f}"
            f" | {t['owner without']:.3f} | {t['owner with']:.3f} | {owner:.2f} |"
        )


if __name__ == "__main__":
    main()
