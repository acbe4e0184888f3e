"""okr on Apache Spark, for real: a Spark Connect server (one for the session), the `okr`
command against it, and DuckDB doing the same beside it as the reference.

The same inputs give the same marts row by row (the demo, the scoring and KPI scenarios, a
random history and the score-precision world; as of a day and as of now), and the objective
scores are exact on Spark too; an incremental build after new, late and corrected rows equals a
--full-refresh of the same rows; a host project builds the package with its unit tests; hostile
files give the same counts and store the same rows; the gate stops the same rows.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from test_dbt_package import assert_host_build, dbt, host_project
from test_hostile import HEADER, INJECTIONS
from test_incremental import MORE_CSV
from test_kpis_end_to_end import GOALS as KPI_GOALS
from test_kpis_end_to_end import LAST_JSONL, SUM_CSV
from test_score_precision import AS_OF, assert_world_scored, load_world, world
from test_scoring_end_to_end import SCENARIO

from okr_plugin.sparkconnect.dialect import remote_of
from okr_plugin.warehouse import display

from conftest import (
    LOAD_ORDER,
    OKR,
    Workspace,
    assert_same_marts,
    event,
    load_demo,
    marts,
    new_workspace,
    write_jsonl,
)

# test_score_precision's world with 3 random trees, not 24: 56 objectives and 128 key results
# up to four levels deep, with scores of 1, of 0, fractions and none (load_world checks), and
# every day of them replayed as of now in the incremental test
SPARK_TREES = 3
# When a build ran and what it had received by then, not what it says: a build "as of now" on
# two warehouses (loaded at other moments) or an incremental build against a full refresh
# (which re-describes every day) differ there.
LINEAGE = LOAD_ORDER | {"as_of_at", "known_at"}


def random_history(seed: int) -> tuple[list[dict[str, Any]], str]:
    """Goal events and an observations CSV for two clients: objectives under a parent, key
    results with and without KPIs, check-ins recorded late, targets changed, observations in
    segments with corrections recorded later."""
    rnd = random.Random(seed)
    events: list[dict[str, Any]] = []

    def add(kind: str, entity: str, at: str, payload: dict[str, Any], client: str, **kw: Any):
        events.append(event(f"h{len(events)}", kind, entity, at, payload, client_id=client, **kw))

    def moment(first: int, last: int) -> str:
        """A minute between the first and the last day of 2026 (counted from 0)."""
        at = datetime(2026, 1, 1) + timedelta(
            days=rnd.randint(first, last), minutes=rnd.randint(0, 1439)
        )
        return at.strftime("%Y-%m-%dT%H:%M:00Z")

    rows = ["client_id,kpi_id,observed_at,value,source,segment,recorded_at"]
    for client in ("rnd-a", "rnd-b"):
        kpis = [f"{client}-k{i}" for i in range(3)]
        for kpi in kpis:
            aggregation = rnd.choice(["sum", "avg", "min", "max", "last", "count"])
            payload = {
                "name": kpi,
                "aggregation": aggregation,
                "target_value": rnd.randint(50, 500),
            }
            add(
                "kpi_defined",
                kpi,
                "2026-01-01T00:00:00Z",
                payload | {"target_grain": "month"},
                client,
            )
            for _ in range(30):
                observed = moment(60, 200)
                value = round(rnd.uniform(-5, 100), 2)
                segment = rnd.choice(["", "eu", "us"])
                rows.append(f"{client},{kpi},{observed},{value},ga4,{segment},")
                if rnd.random() < 0.2:  # a correction, recorded later
                    rows.append(
                        f"{client},{kpi},{observed},{value + 1},ga4,{segment},{moment(201, 300)}"
                    )
        parent = f"{client}-root"
        add(
            "objective_created",
            parent,
            "2026-04-01T00:00:00Z",
            {"title": "Grow", "level": "company", "period": "2026-Q2", "owner": "anna"},
            client,
        )
        for o in range(2):
            objective = f"{client}-o{o}"
            add(
                "objective_created",
                objective,
                "2026-04-01T00:00:00Z",
                {
                    "title": f"Team {o}",
                    "level": "team",
                    "period": "2026-Q2",
                    "owner": "ben",
                    "parent_objective_id": parent,
                    "weight": rnd.randint(1, 3),
                },
                client,
            )
            for k in range(3):
                kr = f"{objective}-kr{k}"
                payload = {
                    "objective_id": objective,
                    "title": kr,
                    "owner": "carla",
                    "target_value": rnd.randint(10, 1000),
                }
                if k == 0:
                    payload["kpi_id"] = rnd.choice(kpis)
                elif rnd.random() < 0.5:
                    payload["start_value"] = rnd.randint(0, 9)
                add("key_result_created", kr, "2026-04-01T00:00:00Z", payload, client)
                if k == 0:
                    continue
                for _ in range(rnd.randint(2, 6)):
                    at = moment(92, 180)
                    late = rnd.random() < 0.3
                    add(
                        "key_result_checked_in",
                        kr,
                        at,
                        {
                            "value": round(rnd.uniform(0, 1000), 1),
                            "confidence": rnd.choice([0.3, 0.7, 0.9]),
                        },
                        client,
                        recorded_at=moment(181, 250) if late else "same",
                    )
                if rnd.random() < 0.4:
                    add(
                        "key_result_target_changed",
                        kr,
                        moment(100, 170),
                        {"target_value": rnd.randint(10, 1000), "reason": "re-planned"},
                        client,
                    )
    return events, "\n".join(rows) + "\n"


def load(ws: Workspace) -> None:
    """The demo's inputs, the scoring and KPI scenarios, a random history and
    test_score_precision's world, in that order."""
    load_demo(ws)
    history, observations = random_history(20261201)
    for name, events in (("scoring", SCENARIO), ("kpis", KPI_GOALS), ("history", history)):
        run = ws.append(events, name=f"{name}.jsonl")
        assert run.code == 0, run.err
    (ws.folder / "sum.csv").write_text(SUM_CSV)
    (ws.folder / "last.jsonl").write_text(LAST_JSONL)
    (ws.folder / "history.csv").write_text(observations)
    run = ws.okr("ingest", "sum.csv", "last.jsonl", "history.csv")
    assert run.code == 0, run.err
    load_world(ws, SPARK_TREES)


@pytest.fixture(scope="module")
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Workspace]:
    """The same inputs in a DuckDB file and in a Spark database."""
    built = {}
    for kind in ("duckdb", "spark"):
        ws = new_workspace(kind, tmp_path_factory.mktemp(kind), request)
        load(ws)
        built[kind] = ws
    return built


def build_both(pair: dict[str, Workspace], *options: str) -> dict[str, dict[str, Any]]:
    found = {}
    for kind, ws in pair.items():
        run = ws.okr("build", *options)
        assert run.code == 0, f"{kind}: {run.err}"
        found[kind] = marts(ws, set() if "--as-of" in options else LINEAGE)
    return found


def test_the_demo_and_a_random_history_as_of_a_day(pair: dict[str, Workspace]) -> None:
    # 12 July: the demo's quarter under way, the history's closed with late records still to
    # come, the precision world's daily marts from 1 to 12 July
    built = build_both(pair, "--as-of", AS_OF)
    assert all(built["spark"][mart] for mart in ("okr_key_results", "okr_kpi_rollups"))
    assert_same_marts(built["duckdb"], built["spark"])
    # test_score_precision's property on Spark: exact weighted means, within [0, 1]
    assert_world_scored(pair["spark"], world(SPARK_TREES)[1])
    # okr scorecard reads the marts the same way on both
    scorecards = {kind: ws.okr("scorecard", "--client", "rnd-a") for kind, ws in pair.items()}
    assert scorecards["spark"].code == 0, scorecards["spark"].err
    assert "rnd-a-root" in scorecards["spark"].out or "Grow" in scorecards["spark"].out
    assert scorecards["duckdb"].out == scorecards["spark"].out


def test_incremental_after_new_late_and_corrected_rows_equals_a_full_refresh(
    pair: dict[str, Workspace],
) -> None:
    assert_same_marts(*build_both(pair).values())  # as of now: the incremental models' start
    for ws in pair.values():
        (ws.folder / "more.csv").write_text(MORE_CSV)
        assert ws.okr("ingest", "more.csv").code == 0
        late = [
            event(
                "late-1",
                "key_result_checked_in",
                "k-inc",
                "2026-08-11T10:00:00Z",
                {"value": 700},
                recorded_at="2026-11-20T10:00:00Z",
            )
        ]
        assert ws.append(late, name="late.jsonl").code == 0
    incremental = build_both(pair)
    assert_same_marts(incremental["duckdb"], incremental["spark"])
    report = pair["spark"].okr(
        "report", "--client", "acme", "--period", "2026-Q1", "--out", "q1.html"
    )
    assert report.code == 0, report.err
    assert "200 visits" in (pair["spark"].folder / "q1.html").read_text()
    # the reference: a full refresh of the same rows. Spark's full build equals DuckDB's (the
    # first comparison above), so DuckDB's full refresh stands for Spark's at a fifth of the time
    reference = pair["duckdb"]
    assert reference.okr("build", "--full-refresh").code == 0
    assert_same_marts(incremental["spark"], marts(reference, LINEAGE))


def test_a_host_project_builds_the_package_unit_tests_included(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    ws = new_workspace("spark", tmp_path, request)
    load_demo(ws)
    host = host_project(ws)
    dbt(host, "deps")
    dbt(host, "build", env={"SPARK_REMOTE": remote_of(ws.url)})
    assert_host_build(ws, host)
    results = json.loads((host / "target" / "run_results.json").read_text())["results"]
    unit_tests = [r["status"] for r in results if r["unique_id"].startswith("unit_test.")]
    assert unit_tests and set(unit_tests) == {"pass"}


def _hostile_files(folder: Path) -> tuple[Path, Path]:
    rnd = random.Random(7)
    odd = [
        *INJECTIONS,
        "",
        " ",
        "NaN",
        "inf",
        "1e309",
        "12abc",
        " 42 ",
        "1,5",
        "2026-13-45",
        "2026-07-01T09:00:00+02:00",
        "Zażółć",
        "\u202eevil",
        "👩‍👩‍👧",
    ]
    lines = []
    for n in range(60):
        fields = {
            "event_id": f"x{n}",
            "event_type": "objective_created",
            "client_id": "acme",
            "entity_id": f"o{n % 7}",
            "occurred_at": "2026-07-01T09:00:00Z",
            "payload": {"title": "T", "level": "team", "period": "2026-Q3", "owner": "a"},
        }
        if rnd.random() < 0.6:
            fields[rnd.choice(list(fields))] = rnd.choice(odd)
        lines.append(json.dumps(fields) if rnd.random() < 0.9 else rnd.choice(odd))
    events = write_jsonl(folder / "hostile.jsonl", lines * 2)  # every line twice
    rows = [HEADER]
    for n in range(80):
        good = [f"e{n % 50}", "acme", "visits", "2026-07-01", f"{n}.5", "ga4", "", ""]
        fields = [rnd.choice(odd) if rnd.random() < 0.2 else v for v in good]
        rows.append(",".join('"' + f.replace('"', '""') + '"' for f in fields))
    rows.insert(40, HEADER)  # a stray header
    observations = folder / "hostile.csv"
    observations.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return events, observations


def test_hostile_files_give_the_same_counts_and_rows(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    outcome = {}
    for kind in ("duckdb", "spark"):
        ws = new_workspace(kind, tmp_path / kind, request)
        ws.folder.mkdir()
        events, observations = _hostile_files(ws.folder)
        runs = [ws.okr("append", str(events)), ws.okr("ingest", str(observations))]
        runs.append(ws.okr("ingest", str(observations)))  # the same file again
        assert all(run.code in (0, 3) and "Traceback" not in run.err for run in runs)
        outcome[kind] = (
            [
                run.out.replace(display(ws.url), "WAREHOUSE").replace(str(ws.folder), "HERE")
                for run in runs
            ],
            ws.rows(
                "select event_id, client_id, entity_id, sequence_no from okr_events order by 4"
            ),
            ws.rows(
                "select event_id, value, segment, sequence_no from okr_observations order by 4"
            ),
            ws.rows("select rejection_no, line_no, reason from okr_rejected_events order by 1"),
        )
    assert outcome["duckdb"] == outcome["spark"]


def execute(url: str, sql: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def test_the_gate_runs_the_same_expectations_and_stops_the_same_rows(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Rows written around the CLI (an ELT job): an unknown event type, an objective without
    a title or period. The gate fails the same expectations on both."""
    failed = {}
    for kind in ("duckdb", "spark"):
        ws = new_workspace(kind, tmp_path / kind, request)
        ws.folder.mkdir()
        assert ws.append(KPI_GOALS).code == 0
        execute(
            ws.url,
            "insert into okr_events (event_id, event_type, client_id, entity_id, occurred_at,"
            " recorded_at, actor, payload, sequence_no, content_hash) values"
            " ('bad-1', 'objective_exploded', 'acme', 'o9', timestamp '2026-07-01 00:00:00',"
            " timestamp '2026-07-01 00:00:00', null, '{}', 98, 'x'),"
            " ('bad-2', 'objective_created', 'acme', 'o8', timestamp '2026-07-01 00:00:00',"
            " timestamp '2026-07-01 00:00:00', null, '{\"level\": \"team\"}', 99, 'y')",
        )
        run = ws.okr("check")
        assert run.code == 4, run.err
        failed[kind] = sorted(line for line in run.out.splitlines() if "  critical" in line)
    assert len(failed["spark"]) >= 3
    assert failed["duckdb"] == failed["spark"]


def test_concurrent_appends_number_every_event_once(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    ws = new_workspace("spark", tmp_path, request)
    assert ws.okr("init").code == 0
    files = []
    for batch in ("a", "b"):
        events = [
            event(
                f"{batch}{n}",
                "annotation_added",
                f"{batch}{n}",
                "2026-07-01T09:00:00Z",
                {"text": "launch", "starts_on": "2026-07-01"},
            )
            for n in range(40)
        ]
        files.append(write_jsonl(tmp_path / f"{batch}.jsonl", events))
    environment = {k: v for k, v in os.environ.items() if k != "OKR_WAREHOUSE"}
    running = [
        subprocess.Popen([OKR, "append", str(f), "--warehouse", ws.url], env=environment)
        for f in files
    ]
    assert [process.wait(timeout=300) for process in running] == [0, 0]
    numbers = [row["sequence_no"] for row in ws.rows("select sequence_no from okr_events")]
    assert sorted(numbers) == list(range(1, 81))
