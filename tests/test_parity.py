"""The same inputs built on DuckDB and on PostgreSQL or Spark give the same marts, row by row;
and Spark's own tests.

One world holds the inputs of the scenarios the other tests work out by hand on DuckDB: the
demo, the scoring and KPI scenarios (observations in CSV, JSON lines and Parquet), a random
history of two clients (late check-ins, target changes, observations in segments corrected
later), test_history's scenario with the event types the others lack, and test_score_precision's
world. It is built on DuckDB and on the other warehouses as of a day, then as of now, then
incrementally after new, late and corrected rows and KPIs changed or defined late (against
DuckDB's full refresh of the same rows); the daily marts hold an as-of build of every day, so
each day is compared too. What the models compute is thereby the same on every engine; what
is an engine's own (the store, the gate, locks, access, publishing) has tests of its own.

Spark's own tests are here too, so that one pytest worker starts one Spark server (its JVM
spends its first build compiling itself): a host project builds the package with its unit
tests; hostile files give the same counts and store the same rows as on DuckDB; the gate stops
the same rows; concurrent appends number every event once.
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
from test_dbt_package import assert_host_build, dbt, host_project
from test_history import goals as history_goals
from test_hostile import HEADER, INJECTIONS
from test_incremental import EARLY_CSV, LATE_GOALS, MORE_CSV
from test_kpis_end_to_end import GOALS as KPI_GOALS
from test_kpis_end_to_end import LAST_JSONL, SUM_CSV, _write_rule_parquet
from test_score_precision import AS_OF, assert_world_scored, load_world, world
from test_scoring_end_to_end import SCENARIO

from okr_plugin.build import work_dir
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

# test_score_precision's world with 3 random trees, not 24 (the reported tree first): 56
# objectives and 128 key results up to four levels deep, with scores of 1, of 0, fractions and
# none (load_world checks), and every day of them replayed as of now in the incremental test
TREES = 3
# When a build ran and what it had received by then, not what it says: a build "as of now" on
# two warehouses (loaded at other moments) or an incremental build against a full refresh
# (which re-describes every day) differ there.
LINEAGE = LOAD_ORDER | {"as_of_at", "known_at"}
# In the intermediate model the observations go through first, the moments observations
# ingested without a recorded_at were received (they differ by warehouse), and the moment the
# build ran
SEGMENT_LINEAGE = {"last_recorded_at", "max_recorded_at", "as_of_at"}
# The warehouses compared with DuckDB
OTHERS = ["spark", "postgres"]


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


def every_kind() -> list[dict[str, Any]]:
    """test_history's scenario for a client of its own ("kinds"), with the event types the
    others lack: an objective and a key result updated, a final grade, a KPI updated and
    retired (the scenario's annotations are about it), an annotation removed."""
    events = [
        *history_goals(),
        event(
            "k",
            "kpi_defined",
            "visits",
            "2026-07-01T09:00:00Z",
            {"name": "Visits", "aggregation": "sum"},
        ),
        event("u1", "objective_updated", "o1", "2026-07-20T09:00:00Z", {"title": "Grow more"}),
        event("u2", "key_result_updated", "kr2", "2026-07-21T09:00:00Z", {"owner": "dana"}),
        event("u3", "kpi_updated", "visits", "2026-07-22T09:00:00Z", {"unit": "visits"}),
        event("u4", "kpi_retired", "visits", "2026-09-01T09:00:00Z"),
        event("g1", "key_result_graded", "kr1", "2026-10-02T09:00:00Z", {"score": 0.9}),
    ]
    # event ids are the store's own key: kept apart from the other scenarios' o1, kr1, ...
    return [e | {"event_id": f"kinds-{e['event_id']}", "client_id": "kinds"} for e in events]


def load(ws: Workspace) -> None:
    """The demo's inputs, the scoring and KPI scenarios, a random history, every kind of event
    and test_score_precision's world, in that order."""
    load_demo(ws)
    history, observations = random_history(20261201)
    scenarios = [("scoring", SCENARIO), ("kpis", KPI_GOALS), ("history", history)]
    for name, events in (*scenarios, ("kinds", every_kind())):
        run = ws.append(events, name=f"{name}.jsonl")
        assert run.code == 0, run.err
    (ws.folder / "sum.csv").write_text(SUM_CSV)
    (ws.folder / "last.jsonl").write_text(LAST_JSONL)
    (ws.folder / "history.csv").write_text(observations)
    _write_rule_parquet(ws.folder / "rules.parquet")  # avg, min, max and count; typed columns
    run = ws.okr("ingest", "sum.csv", "last.jsonl", "rules.parquet", "history.csv")
    assert run.code == 0, run.err
    load_world(ws, TREES)


@pytest.fixture(scope="module")
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Workspace]:
    """The same inputs in a DuckDB file (the reference, first), a Spark database and a
    PostgreSQL database."""
    found = {}
    for kind in ("duckdb", "spark", "postgres"):
        ws = new_workspace(kind, tmp_path_factory.mktemp(kind), request)
        load(ws)
        found[kind] = ws
    return found


def build_all(loaded: dict[str, Workspace], *options: str) -> dict[str, dict[str, Any]]:
    """Every warehouse built with the same options; the others' marts equal DuckDB's."""
    found = {}
    for kind, ws in loaded.items():
        run = ws.okr("build", *options)
        assert run.code == 0, f"{kind}: {run.err}"
        found[kind] = marts(ws, set() if "--as-of" in options else LINEAGE)
    for kind in OTHERS:
        assert_same_marts(found["duckdb"], found[kind])
    return found


def late_rows(ws: Workspace) -> None:
    """New, late and corrected rows, recorded at the same moments on every warehouse: a
    check-in and a target change recorded in November, a KPI's target changed and a KPI
    defined after its observations (test_incremental's), new, late, corrected and backfilled
    observations."""
    late = [
        event(
            "late-1",
            "key_result_checked_in",
            "k-inc",
            "2026-08-11T10:00:00Z",
            {"value": 700},
            recorded_at="2026-11-20T10:00:00Z",
        ),
        # kr2 of "kinds" re-targeted on 1 August, recorded on 21 November
        event(
            "late-2",
            "key_result_target_changed",
            "kr2",
            "2026-08-01T10:00:00Z",
            {"target_value": 100},
            client_id="kinds",
            recorded_at="2026-11-21T10:00:00Z",
        ),
        *(e | {"recorded_at": "2026-11-22T10:00:00Z"} for e in LATE_GOALS),
    ]
    assert ws.append(late, name="late.jsonl").code == 0
    (ws.folder / "more.csv").write_text(MORE_CSV)
    (ws.folder / "early.csv").write_text(EARLY_CSV)
    assert ws.okr("ingest", "more.csv", "early.csv").code == 0


def test_as_of_a_day_as_of_now_and_after_new_rows_the_marts_equal_duckdb_s(
    loaded: dict[str, Workspace],
) -> None:
    # 12 July: the demo's quarter under way, the history's closed with late records still to
    # come, the precision world's daily marts from 1 to 12 July
    as_of = build_all(loaded, "--as-of", AS_OF)
    assert all(as_of["duckdb"].values())  # every mart has rows to compare
    scorecard = loaded["duckdb"].okr("scorecard", "--client", "rnd-a")
    assert "Grow" in scorecard.out
    for kind in OTHERS:
        # test_score_precision's property there too: exact weighted means, within [0, 1]
        assert_world_scored(loaded[kind], world(TREES)[1])
        # okr scorecard reads the marts the same way
        assert loaded[kind].okr("scorecard", "--client", "rnd-a").out == scorecard.out, kind

    # as of now, after the build as of a day: the incremental models go on from there
    now = build_all(loaded)
    assert all(now["duckdb"].values())  # every mart has rows to compare

    for ws in loaded.values():
        late_rows(ws)
    segments = "int_okr__kpi_daily_segments"
    incremental = build_all(loaded)
    assert incremental["duckdb"] != now["duckdb"]  # the new rows arrived
    reference = marts(loaded["duckdb"], SEGMENT_LINEAGE, [segments])
    for kind in OTHERS:
        ws = loaded[kind]
        # the model the observations go through first, and the rollups' one moment
        assert_same_marts(reference, marts(ws, SEGMENT_LINEAGE, [segments]))
        assert len(ws.rows("select distinct as_of_at from okr_kpi_rollups")) == 1, kind
        report = ws.okr("report", "--client", "acme", "--period", "2026-Q1", "--out", "q1.html")
        assert report.code == 0, report.err
        assert "200 visits" in (ws.folder / "q1.html").read_text()
    # PostgreSQL's incremental path ran: a delete+insert of the touched rows, not a rebuild
    ran = work_dir(loaded["postgres"].url) / "target" / "run" / "okr_plugin" / "models"
    for model in ("intermediate/int_okr__kpi_daily_segments.sql", "marts/okr_kpi_rollups.sql"):
        assert "delete from" in (ran / model).read_text().lower(), model

    # the reference: a full refresh of the same rows. The others' full builds equal DuckDB's
    # (the build as of a day above), so DuckDB's full refresh (about 10 s) stands for theirs
    # (Spark's takes about a minute and a half)
    assert loaded["duckdb"].okr("build", "--full-refresh").code == 0
    full = marts(loaded["duckdb"], LINEAGE)
    for kind in OTHERS:
        assert_same_marts(full, incremental[kind])


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
        ws.execute(
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


def test_a_plan_sheet_imports_through_the_store_on_spark(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """`okr plan import` of a new client's sheet on Spark: its events, as on the others; what
    reads the marts before a build says to build first, in Spark's words as in the others'."""
    ws = new_workspace("spark", tmp_path, request)
    assert ws.okr("init").code == 0
    before = ws.okr("scorecard")
    # (the last line: pyspark logs the server's error on its own before it)
    assert before.err.endswith("okr: error: the marts are not built yet: run `okr build` first\n")
    sheet = tmp_path / "plan.csv"
    sheet.write_text(
        "objective_id,objective,level,period,key_result_id,key_result,target_value,unit\n"
        "o-1,Więcej klientów,company,2026-Q4,kr-1,1500 new trials,1500,trials\n"
        "o-1,Więcej klientów,company,2026-Q4,kr-2,20 webinars,20,webinars\n",
        encoding="utf-8",
    )
    dry = ws.okr("plan", "import", str(sheet), "--client", "acme", "--dry-run")
    assert dry.code == 0, dry.err
    assert "  new key result '1500 new trials': 0 → 1,500" in dry.out
    assert ws.rows("select count(*) as n from okr_events")[0]["n"] == 0
    run = ws.okr("plan", "import", str(sheet), "--client", "acme")
    assert run.code == 0, run.err
    rows = ws.rows("select event_type, entity_id from okr_events order by sequence_no")
    assert [(r["event_type"], r["entity_id"]) for r in rows] == [
        ("objective_created", "o-1"),
        ("key_result_created", "kr-1"),
        ("key_result_created", "kr-2"),
    ]
    again = ws.okr("plan", "import", str(sheet), "--client", "acme")
    assert again.err.endswith(
        "okr: error: client acme has events but no build: run okr build first\n"
    )
