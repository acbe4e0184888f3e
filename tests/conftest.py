"""Shared helpers: run the installed `okr` command against a real warehouse (its main() in the
test's process, or a process of its own where the process matters), read tables back.

Every workspace is a DuckDB file, a fresh database on a PostgreSQL server that the test session
starts itself (tests/postgres.py) and stops at the end, or a fresh database on a Spark Connect
server that the session starts once, when a test first asks for it (okr spark start's own code).
"""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
import tempfile
import traceback
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from postgres import PostgresServer, spare_port

from okr_plugin import cli
from okr_plugin.resources import mart_names, project_dir

OKR = str(Path(sys.executable).with_name("okr"))
WAREHOUSES = ["duckdb", "postgres"]


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_okr(
    *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> Run:
    """The `okr` command as a user runs it: a separate process, in a folder of its own."""
    environment = {k: v for k, v in os.environ.items() if k != "OKR_WAREHOUSE"}
    environment.update(env or {})
    done = subprocess.run(
        [OKR, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def call_okr(*args: str, cwd: Path, stdin: str | None = None) -> Run:
    """`okr`'s main() in this process, as the command runs it (dbt in its own process, which
    this worker starts once and keeps): its output and exit code, as run_okr gives them, without
    starting Python and importing okr once more for each command."""
    here, streams = os.getcwd(), (sys.stdin, sys.stdout, sys.stderr)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        for stream in streams[1:]:
            stream.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1)  # what libraries write there is captured too
        os.dup2(err.fileno(), 2)
        sys.stdout, sys.stderr = (
            io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), line_buffering=True)
            for fd in (1, 2)
        )
        sys.stdin = io.TextIOWrapper(io.BytesIO((stdin or "").encode()))
        os.chdir(cwd)
        try:
            code = cli.main(list(args))
        except SystemExit as exit:  # argparse: a usage error (2), --help or --version (0)
            code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
            if exit.code is not None and not isinstance(exit.code, int):
                print(exit.code, file=sys.stderr)  # what Python does with sys.exit("text")
        except Exception:  # what Python does with an uncaught exception
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.close()
            sys.stderr.close()
            sys.stdin, sys.stdout, sys.stderr = streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            os.chdir(here)
        out.seek(0)
        err.seek(0)
        return Run(code, out.read().decode(), err.read().decode())


def event(
    event_id: str,
    event_type: str,
    entity_id: str,
    occurred_at: str,
    payload: dict[str, Any] | None = None,
    client_id: str = "acme",
    recorded_at: str | None = "same",
    **extra: Any,
) -> dict[str, Any]:
    """A goal event; recorded_at defaults to occurred_at (a backfill), so `as_of` can see it."""
    result: dict[str, Any] = {
        "event_id": event_id,
        "event_type": event_type,
        "client_id": client_id,
        "entity_id": entity_id,
        "occurred_at": occurred_at,
        "payload": payload or {},
        **extra,
    }
    if recorded_at is not None:
        result["recorded_at"] = occurred_at if recorded_at == "same" else recorded_at
    return result


def write_jsonl(path: Path, events: Iterable[dict[str, Any] | str]) -> Path:
    lines = [e if isinstance(e, str) else json.dumps(e) for e in events]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def query(url: str, sql: str) -> list[dict[str, Any]]:
    """Rows as dicts; the engine is closed at once (DuckDB allows one writing process)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def by_id(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {record[key]: record for record in records}


@dataclass
class Workspace:
    """A folder to run `okr` in, and the warehouse it writes to."""

    folder: Path
    url: str
    kind: str

    def okr(self, *args: str, stdin: str | None = None) -> Run:
        return call_okr(*args, "--warehouse", self.url, cwd=self.folder, stdin=stdin)

    def append(self, events: Iterable[dict[str, Any] | str], name: str = "events.jsonl") -> Run:
        return self.okr("append", str(write_jsonl(self.folder / name, events)))

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return query(self.url, sql)

    def execute(self, sql: str) -> None:
        """One statement, committed (as a user editing the warehouse behind okr's back)."""
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(sql))
        finally:
            engine.dispose()


# The modules that take longest, longest first (the warehouses compared, with Spark's own
# tests). pytest-xdist hands each module to one worker in collection order (--dist loadscope
# --no-loadscope-reorder), so these start at once and the short ones fill in beside them; the
# others keep the order pytest-randomly gave them.
LONGEST_FIRST = ["test_parity.py"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session", autouse=True)
def dbt_work_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """dbt's profiles, targets and logs go under the session's temporary folder, not ~/.cache."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


# The suite's Spark server evaluates expressions without compiling them to Java classes: its
# builds are many small queries, for which compiling (and the JIT compiling the classes again)
# costs more than it saves (a build of the demo: a sixth less time and JVM CPU). Its JVM, whose
# optimising compiler (C2) spent half of its CPU on compiling Spark for such builds, compiles
# with C2 only the methods called ten to twenty times more often than by default, and collects
# garbage in one thread (the demo with two more builds: 190 s of JVM CPU instead of 245 to
# 275). `okr spark start` keeps Spark's and Java's defaults, which larger data needs.
SMALL_DATA = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.driver.extraJavaOptions": (
        "-XX:+UseSerialGC -XX:Tier4InvocationThreshold=100000 -XX:Tier4CompileThreshold=150000"
        " -XX:Tier4MinInvocationThreshold=50000 -XX:Tier4BackEdgeThreshold=400000"
    ),
}


@pytest.fixture(scope="session")
def spark_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Spark Connect server on 127.0.0.1 for every Spark test (the JVM starts once), by
    `okr spark start`: UI off, time zone UTC, tables and metastore in a temporary folder, and
    the settings of SMALL_DATA."""
    folder = tmp_path_factory.mktemp("spark")
    port = spare_port()
    settings = [f"--conf={key}={value}" for key, value in SMALL_DATA.items()]
    started = run_okr(
        "spark", "start", "--folder", str(folder), "--port", str(port), *settings, cwd=folder
    )
    assert started.code == 0, started.err
    url = f"sc://127.0.0.1:{port}"
    assert f"--warehouse {url}" in started.out
    try:
        for key, value in SMALL_DATA.items():  # --conf reached the server
            (setting,) = query(f"{url}/default", f"set {key}")
            assert value in setting["value"], key  # the Java options after okr's own
        assert (folder / "derby.log").exists()  # okr's own: the metastore's log in its folder
        yield url
    finally:
        stopped = run_okr("spark", "stop", "--folder", str(folder), cwd=folder)
        assert stopped.code == 0, stopped.err


def new_workspace(kind: str, folder: Path, request: pytest.FixtureRequest) -> Workspace:
    if kind == "duckdb":
        return Workspace(folder, f"duckdb:///{folder / 'okr.duckdb'}", kind)
    if kind == "spark":
        server = request.getfixturevalue("spark_server")
        return Workspace(folder, f"{server}/w_{uuid.uuid4().hex[:12]}", kind)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return Workspace(folder, server.new_database(), kind)


@pytest.fixture(params=WAREHOUSES)
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Workspace:
    """A fresh warehouse of each kind: the test runs once on DuckDB, once on PostgreSQL."""
    return new_workspace(request.param, tmp_path, request)


@pytest.fixture
def duckdb_workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Workspace:
    """For what only a DuckDB file has (a file lock, a default path)."""
    return new_workspace("duckdb", tmp_path, request)


@pytest.fixture(scope="module")
def module_duckdb(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Workspace:
    """A DuckDB file for a module's scenario: what the models compute is worked out by hand on
    DuckDB; test_parity.py shows PostgreSQL and Spark compute the same."""
    return new_workspace("duckdb", tmp_path_factory.mktemp("okr"), request)


@pytest.fixture(scope="module", params=WAREHOUSES)
def module_workspace(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Workspace:
    return new_workspace(request.param, tmp_path_factory.mktemp("okr"), request)


@pytest.fixture(scope="session", params=WAREHOUSES)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The demo (`okr demo`: built as of 15 August 2026) on each warehouse, for the tests that
    only read it."""
    ws = new_workspace(request.param, tmp_path_factory.mktemp("demo"), request)
    run = ws.okr("demo")
    assert run.code == 0, run.err
    return ws


# Columns that record the order in which the store received the events, not what they say.
LOAD_ORDER = {"sequence_no"}


@cache
def model_keys() -> dict[str, list[str]]:
    """Each model's key as its yml declares it: the columns (or expressions) of its
    okr_valid_rows test's `key`."""
    keys = {}
    for path in sorted((project_dir() / "models").rglob("*.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            for test in model.get("data_tests", []):
                rules = test.get("okr_valid_rows", {}) if isinstance(test, dict) else {}
                if "key" in rules.get("arguments", {}):
                    keys[model["name"]] = list(rules["arguments"]["key"])
    return keys


def in_key_order(model: str) -> str:
    """`select *` from a model in the order of its key, nulls last on every engine."""
    order = ", ".join(f"{column} nulls last" for column in model_keys()[model])
    return f"select * from {model} order by {order}"


def marts(
    ws: Workspace, ignore: Iterable[str] = (), models: Iterable[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Every mart (or the given models), its rows in the order of its key, without the columns
    in `ignore`: to compare two warehouses' builds value by value."""
    return {
        model: [
            {k: v for k, v in row.items() if k not in ignore}
            for row in ws.rows(in_key_order(model))
        ]
        for model in (mart_names() if models is None else models)
    }


def _same(left: Any, right: Any) -> bool:
    """Equal, or floats within 1e-9 of each other (engines add up in their own order)."""
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)
    return bool(left == right)


def assert_same_marts(left: dict[str, Any], right: dict[str, Any]) -> None:
    """Two builds' marts (as marts() reads them) equal row by row, naming the first row that
    differs by its key."""
    assert left.keys() == right.keys()
    for mart, rows in left.items():
        assert len(rows) == len(right[mart]), mart
        for a, b in zip(rows, right[mart], strict=True):
            assert a.keys() == b.keys(), mart
            different = {c: (a[c], b[c]) for c in a if not _same(a[c], b[c])}
            assert not different, f"{mart} {[a.get(k) for k in model_keys()[mart]]}: {different}"


def load_demo(ws: Workspace) -> None:
    """The demo's events and observations, not built (`okr demo` builds as of its day)."""
    demo = resources.files("okr_plugin") / "demo"
    with resources.as_file(demo) as folder:
        assert ws.okr("append", str(folder / "saas_2026q3.jsonl")).code == 0
        assert ws.okr("ingest", str(folder / "observations.csv")).code == 0
