"""What only a shared server has: many writers at once."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from postgres import PostgresServer

from conftest import OKR, event, query, run_okr, write_jsonl

WRITERS = 8
BATCH = 2000
STRIDE = 1000  # batch i holds events i * STRIDE ... i * STRIDE + BATCH - 1: neighbours share half


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.new_database()
    assert run_okr("init", "--warehouse", url, cwd=tmp_path).code == 0
    files = [
        write_jsonl(
            tmp_path / f"batch{i}.jsonl",
            [
                event(f"c{n}", "key_result_checked_in", "k1", "2026-08-01T00:00:00Z", {"value": n})
                for n in range(i * STRIDE, i * STRIDE + BATCH)
            ],
        )
        for i in range(WRITERS)
    ]
    writers = [
        subprocess.Popen(
            [OKR, "append", str(f), "--warehouse", url],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    results = [w.communicate(timeout=300) + (w.returncode,) for w in writers]
    assert all(code == 0 for _, _, code in results), results

    # ids 0 .. (WRITERS - 1) * STRIDE + BATCH - 1: 7 * 1000 + 2000 = 9000 distinct events;
    # 8 * 2000 = 16000 sent, so 16000 - 9000 = 7000 duplicates.
    distinct = (WRITERS - 1) * STRIDE + BATCH
    counts = [
        tuple(
            int(x)
            for x in re.search(r"(\d+) accepted, (\d+) duplicate, (\d+) rejected", out).groups()
        )  # type: ignore[union-attr]
        for out, _, _ in results
    ]
    assert sum(c[0] for c in counts) == distinct == 9000
    assert sum(c[1] for c in counts) == WRITERS * BATCH - distinct == 7000
    assert sum(c[2] for c in counts) == 0

    stored = query(
        url,
        "select count(*) as n, count(distinct event_id) as ids,"
        " count(distinct sequence_no) as seqs, min(sequence_no) as low,"
        " max(sequence_no) as high from okr_events",
    )[0]
    # strictly increasing, no duplicates, no gaps: 1 .. 9000
    assert (stored["n"], stored["ids"], stored["seqs"]) == (distinct,) * 3
    assert (stored["low"], stored["high"]) == (1, distinct)
