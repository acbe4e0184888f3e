"""The application layer called as a notebook or an orchestrator's task calls it: okr_plugin.app
in this process, no `okr` command, on a DuckDB file and on PostgreSQL.

The scenario, by hand: client acme has objective o-acme (2026-Q3) with key result k-trials,
target 200 from 0, checked in at 50 on 10 August: progress 50 / 200 = 0.25. Client zeta has
objective o-zeta with k-calls, target 10, checked in at 8: progress 8 / 10 = 0.8. KPI visits
(sum) gets 30 and 12 on 1 August and 5 on 2 August: the day rollups are 30 + 12 = 42 and 5.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from okr_plugin import app, build
from okr_plugin.backends.base import Published
from okr_plugin.errors import StoreError
from okr_plugin.gate.results import QualityGateFailed
from okr_plugin.resources import mart_names

from conftest import Workspace, by_id, event, write_jsonl

JUL1 = "2026-07-01T09:00:00Z"
Q3 = {"level": "company", "period": "2026-Q3", "owner": "anna"}
EVENTS = [
    event("e1", "objective_created", "o-acme", JUL1, {"title": "Trials", **Q3}),
    event(
        "e2",
        "key_result_created",
        "k-trials",
        JUL1,
        {"objective_id": "o-acme", "title": "200 trials", "target_value": 200, "owner": "ben"},
    ),
    event("e3", "key_result_checked_in", "k-trials", "2026-08-10T10:00:00Z", {"value": 50}),
    event("e4", "objective_created", "o-zeta", JUL1, {"title": "Calls", **Q3}, client_id="zeta"),
    event(
        "e5",
        "key_result_created",
        "k-calls",
        JUL1,
        {"objective_id": "o-zeta", "title": "10 calls", "target_value": 10, "owner": "cy"},
        client_id="zeta",
    ),
    event(
        "e6",
        "key_result_checked_in",
        "k-calls",
        "2026-08-10T10:00:00Z",
        {"value": 8},
        client_id="zeta",
    ),
    event("e7", "kpi_defined", "visits", JUL1, {"name": "Visits", "aggregation": "sum"}),
]
# recorded the day they were observed, so a build as of 15 August sees them
OBSERVATIONS = """client_id,kpi_id,observed_at,value,recorded_at
acme,visits,2026-08-01T08:00:00Z,30,2026-08-01T20:00:00Z
acme,visits,2026-08-01T17:00:00Z,12,2026-08-01T20:00:00Z
acme,visits,2026-08-02T08:00:00Z,5,2026-08-02T20:00:00Z
"""


def load(ws: Workspace) -> None:
    assert "okr_events" in app.init(ws.url)
    appended = app.append([write_jsonl(ws.folder / "goals.jsonl", EVENTS)], ws.url)
    assert (appended.accepted, appended.duplicates, appended.rejected) == (7, 0, 0)
    observations = ws.folder / "visits.csv"
    observations.write_text(OBSERVATIONS)
    ingested = app.ingest([observations], ws.url)
    assert (ingested.accepted, ingested.duplicates, ingested.rejected) == (3, 0, 0)
    again = app.ingest([observations], ws.url)  # the same file twice: nothing new
    assert (again.accepted, again.duplicates, again.rejected) == (0, 3, 0)


def test_every_operation_returns_its_result(
    workspace: Workspace, capfd: pytest.CaptureFixture[str]
) -> None:
    load(workspace)
    report = app.check(workspace.url)
    assert not report.critical and report.outcomes and not report.nothing_new
    built = app.build(workspace.url, as_of="2026-08-15")
    assert built.as_of == "2026-08-15" and not built.gate.critical
    assert built.gate.nothing_new and not built.gate.outcomes  # the check passed every row

    key_results = by_id(app.read_mart("okr_key_results", workspace.url), "key_result_id")
    assert key_results["k-trials"]["progress"] == pytest.approx(0.25)  # 50 / 200
    assert key_results["k-calls"]["progress"] == pytest.approx(0.8)  # 8 / 10
    acme = app.read_mart("okr_key_results", workspace.url, client="acme")
    assert [row["key_result_id"] for row in acme] == ["k-trials"]  # zeta's row left out
    days = {
        str(row["period_start"]): row["value"]
        for row in app.read_mart("okr_kpi_rollups", workspace.url, client="acme")
        if row["grain"] == "day" and row["segment"] == "all"
    }
    assert days == {"2026-08-01": 42, "2026-08-02": 5}  # 30 + 12; 5

    published = app.publish(workspace.url, to=str(workspace.folder / "acme.duckdb"), client="acme")
    if workspace.kind == "duckdb":
        assert isinstance(published, Published)
        assert published.tables == len(mart_names()) and published.client == "acme"
    else:
        assert "nothing to publish on PostgreSQL" in published.summary()
    # nothing was printed: the results came back as values (progress=None)
    printed = capfd.readouterr()
    assert printed.out == "" and printed.err == ""


def test_a_critical_gate_failure_raises_and_builds_nothing(duckdb_workspace: Workspace) -> None:
    load(duckdb_workspace)
    # an observation written around okr with an infinite value: a critical check fails
    duckdb_workspace.execute(
        "insert into okr_observations (event_id, client_id, kpi_id, observed_at, value, source,"
        " recorded_at, sequence_no) values ('bad', 'acme', 'visits', timestamp '2026-08-03',"
        " cast('infinity' as double), 'elt', timestamp '2026-08-03', 99)"
    )
    with pytest.raises(QualityGateFailed, match="nothing was built"):
        app.build(duckdb_workspace.url)
    with pytest.raises(StoreError, match="has no okr_objectives yet"):
        app.read_mart("okr_objectives", duckdb_workspace.url)
    # dbt's process skipped that build and serves the next one
    dbt = build.DBT.process
    duckdb_workspace.execute("delete from okr_observations where event_id = 'bad'")
    app.build(duckdb_workspace.url)
    assert build.DBT.process is dbt
    assert len(app.read_mart("okr_objectives", duckdb_workspace.url)) == 2  # o-acme, o-zeta


def test_builds_share_dbt_s_process_and_free_the_file(tmp_path: Path) -> None:
    """Every build of this process runs in one dbt process (okr_plugin/child.py), which sends
    its progress where the caller asks and lets go of each DuckDB file when its build is done;
    one that died while idle is replaced, a build interrupted here stops it, and the next build
    starts another."""
    first, second = (
        Workspace(tmp_path / n, f"duckdb:///{tmp_path / n / 'w.duckdb'}", "duckdb")
        for n in ("first", "second")
    )
    for ws in (first, second):
        ws.folder.mkdir()
        load(ws)
    app.build(first.url, as_of="2026-08-15")
    dbt = build.DBT.process
    assert dbt is not None
    writes = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('create table t (i int)')"
    subprocess.run([sys.executable, "-c", writes, str(first.folder / "w.duckdb")], check=True)
    lines: list[str] = []
    app.build(second.url, as_of="2026-08-15", progress=lines.append)
    assert build.DBT.process is dbt
    # the gate's and dbt's progress, from the kept process too, where it was sent
    assert lines[0].startswith("checking the input tables of")
    assert any(line.startswith("building the okr models in") for line in lines)
    assert any("success  model" in line for line in lines)
    subprocess.run([sys.executable, "-c", writes, str(second.folder / "w.duckdb")], check=True)

    dbt.kill()  # dies while idle (the OOM killer, an operator): the next build starts one
    dbt.wait()

    class Interrupted(Exception):
        pass

    started: list[subprocess.Popen[str]] = []

    def interrupt(line: str) -> None:
        if "success  model" in line:  # dbt is building, in a process of its own
            assert build.DBT.process is not None
            started.append(build.DBT.process)
            raise Interrupted

    with pytest.raises(Interrupted):
        app.build(first.url, progress=interrupt)
    assert started[0] is not dbt
    assert dbt.stdin is not None and dbt.stdin.closed  # the dead one's pipes closed, not leaked
    # the interrupted build's process killed, not left building
    assert build.DBT.process is None and started[0].poll() is not None
    app.build(first.url)
    assert build.DBT.process is not None and build.DBT.process is not started[0]


def test_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="okr supports DuckDB, PostgreSQL and Spark"):
        app.init("mysql://someone@somewhere/db")
    with pytest.raises(StoreError, match="'okr_nothing' is not a mart"):
        app.read_mart("okr_nothing", str(tmp_path / "w.duckdb"))
    with pytest.raises(StoreError, match="okr access needs PostgreSQL"):
        app.grant("reader", "acme", str(tmp_path / "w.duckdb"))
    with pytest.raises(StoreError, match="no such file"):
        app.append([tmp_path / "missing.jsonl"], str(tmp_path / "w.duckdb"))
    # a DuckDB connection of the caller's own to the file, opened with other settings
    path = str(tmp_path / "held.duckdb")
    app.init(path)
    held = duckdb.connect(path, config={"threads": 1})
    try:
        with pytest.raises(StoreError, match="open in this process with other settings"):
            app.read_mart("okr_objectives", path)
    finally:
        held.close()
