"""Faults: a process killed in the middle of an append or a build, a warehouse held by another
process, a PostgreSQL server stopped under a command. A batch is stored whole or not at all, the
next command works, and built tables stay readable. No message or log shows a password.
Each test records the faults it injected as test properties; scripts/reliability_figures.py
sums them for the README's Reliability section.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa
from postgres import PostgresServer

from okr_plugin.settings import work_dir

from conftest import LOAD_ORDER, OKR, Run, Workspace, event, marts, run_okr, write_jsonl

GOAL_EVENTS = 40_000
OBSERVATIONS = 1_500_000
KILL_AFTER = 1.2  # seconds: while the batch is being validated or written


def start_okr(ws: Workspace, *args: str) -> subprocess.Popen[bytes]:
    """`okr` in a process group of its own, so a kill reaches dbt's child process too."""
    return subprocess.Popen(
        [OKR, *args, "--warehouse", ws.url],
        cwd=ws.folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_after(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL the whole group after `seconds`; False when it had already finished."""
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        wait_for_group_exit(process.pid)
        return True


def wait_for_group_exit(group: int, timeout: float = 30) -> None:
    """Wait until nothing is left running in the group: a killed child (dbt) may still be
    exiting, and holding the warehouse's lock, after its parent has been reaped. A zombie whose
    other threads have not finished exiting still holds its files."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = False
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # after "pid (comm)": state, ppid, process group, ..., thread count (18th)
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group and (fields[0] != "Z" or int(fields[17]) > 1):
                alive = True
                break
        if not alive:
            return
        time.sleep(0.05)
    raise AssertionError(f"processes of group {group} still running {timeout} s after SIGKILL")


def big_goal_file(folder: Path) -> Path:
    path = folder / "big.jsonl"
    lines = [
        json.dumps(
            event(
                f"big-{n}",
                "key_result_checked_in",
                "kr1",
                "2026-07-02T09:00:00Z",
                {"value": n % 100},
            )
        )
        for n in range(GOAL_EVENTS)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def big_observation_file(folder: Path) -> Path:
    path = folder / "big.csv"
    duckdb.sql(
        f"copy (select 'obs-' || i as event_id, 'acme' as client_id, 'visits' as kpi_id,"
        f" timestamp '2026-01-01' + to_seconds(cast(i as bigint)) as observed_at,"
        f" i % 100 as value from range({OBSERVATIONS}) t(i)) to '{path}' (header true)"
    )
    return path


@pytest.mark.parametrize("stream", ["append", "ingest"])
def test_a_killed_append_keeps_all_or_nothing(
    workspace: Workspace, stream: str, record_property: Callable[[str, object], None]
) -> None:
    ws = workspace
    assert ws.okr("init").code == 0
    if stream == "append":
        source, table, total = big_goal_file(ws.folder), "okr_events", GOAL_EVENTS
    else:
        source, table, total = big_observation_file(ws.folder), "okr_observations", OBSERVATIONS
    killed = kill_after(start_okr(ws, stream, str(source)), KILL_AFTER)
    record_property("kills", int(killed))
    stored = ws.rows(f"select count(*) as n from {table}")[0]["n"]
    assert stored in (0, total), f"{stored} of {total} rows after a kill at {KILL_AFTER} s"
    rerun = ws.okr(stream, str(source))
    assert rerun.code == 0, rerun.err
    assert ws.rows(f"select count(*) as n from {table}")[0]["n"] == total
    if killed and stored == 0:
        assert f"{total} accepted" in rerun.out


def append_waiting(ws: Workspace, path: Path, seconds: int) -> Run:
    env = {"OKR_LOCK_TIMEOUT": str(seconds)}
    return run_okr("append", str(path), "--warehouse", ws.url, cwd=ws.folder, env=env)


def test_a_locked_warehouse_is_waited_for_then_refused(
    duckdb_workspace: Workspace, record_property: Callable[[str, object], None]
) -> None:
    ws = duckdb_workspace
    assert ws.okr("init").code == 0
    objective = event(
        "o1",
        "objective_created",
        "o1",
        "2026-07-01T09:00:00Z",
        {"title": "Grow", "level": "team", "period": "2026-Q3"},
    )
    path = ws.folder / "one.jsonl"
    path.write_text(json.dumps(objective) + "\n")

    holder = duckdb.connect(str(ws.folder / "okr.duckdb"))  # another process holds the file
    threading.Timer(1.5, holder.close).start()
    record_property("locks", 2)  # one waited out, one refused
    started = time.monotonic()
    waited = append_waiting(ws, path, seconds=20)
    assert waited.code == 0, waited.err  # the lock went after 1.5 s: it waited
    assert time.monotonic() - started >= 1.4

    holder = duckdb.connect(str(ws.folder / "okr.duckdb"))
    try:
        started = time.monotonic()
        refused = append_waiting(ws, path, seconds=1)
        elapsed = time.monotonic() - started
    finally:
        holder.close()
    assert refused.code == 1
    assert len(refused.err.strip().splitlines()) == 1
    assert "is in use by another process (waited 1 s, see OKR_LOCK_TIMEOUT)" in refused.err
    assert 1 <= elapsed < 15  # bounded: one second of waiting, plus starting Python


def test_an_interrupted_build_leaves_tables_readable(
    workspace: Workspace, record_property: Callable[[str, object], None]
) -> None:
    ws = workspace
    goals = [
        event(
            "k",
            "kpi_defined",
            "visits",
            "2026-07-01T00:00:00Z",
            {"name": "V", "aggregation": "sum"},
        ),
        event(
            "o",
            "objective_created",
            "o1",
            "2026-07-01T00:00:00Z",
            {"title": "Grow", "level": "team", "period": "2026-Q3"},
        ),
        event(
            "r",
            "key_result_created",
            "kr1",
            "2026-07-01T00:00:00Z",
            {"objective_id": "o1", "title": "Visits", "target_value": 1000, "kpi_id": "visits"},
        ),
    ]
    assert ws.append(goals).code == 0
    assert ws.okr("ingest", str(big_observation_file(ws.folder))).code == 0
    as_of = ("--as-of", "2026-02-01")  # every build describes the same moment
    assert ws.okr("build", *as_of).code == 0
    before = marts(ws, LOAD_ORDER)

    process = start_okr(ws, "build", *as_of)
    dbt_started = wait_for_dbt(process, ws)
    killed = kill_after(process, 2.0)
    assert dbt_started and killed, "the build finished before it could be interrupted"
    record_property("kills", 1)
    assert marts(ws, LOAD_ORDER) == before  # readable, and still what the last build made
    after = ws.okr("build", *as_of)
    assert after.code == 0, after.err
    assert marts(ws, LOAD_ORDER) == before


def wait_for_dbt(process: subprocess.Popen[bytes], ws: Workspace, timeout: float = 120) -> bool:
    """Wait until okr's dbt child (`python -m okr_plugin.build`) is building: it starts with the
    quality gate and parses meanwhile; okr marks the build unfinished when it lets dbt go."""
    building = work_dir(ws.url) / "build-unfinished"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if not building.exists():
            time.sleep(0.1)
            continue
        for status in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if (
                    b"okr_plugin.build" in status.read_bytes()
                    and os.getpgid(int(status.parent.name)) == process.pid
                ):
                    return True
            except (OSError, ProcessLookupError):
                continue
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def own_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this module's own, to stop and start under a running command."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


def goals_of(prefix: str) -> list[dict[str, Any]]:
    """An objective with a key result on a KPI: enough for every model to build."""
    return [
        event(f"{prefix}-k", "kpi_defined", f"{prefix}-visits", "2026-07-01T00:00:00Z",
              {"name": "Visits", "aggregation": "sum"}),
        event(f"{prefix}-o", "objective_created", f"{prefix}-o1", "2026-07-01T00:00:00Z",
              {"title": "Grow", "level": "team", "period": "2026-Q3"}),
        event(f"{prefix}-r", "key_result_created", f"{prefix}-kr1", "2026-07-01T00:00:00Z",
              {"objective_id": f"{prefix}-o1", "title": "Visits", "target_value": 1000,
               "kpi_id": f"{prefix}-visits"}),
    ]  # fmt: skip


def wait_for_a_lock_wait(holder: sa.Connection, table: str, process: subprocess.Popen[str]) -> bool:
    """Until a session waits for the lock that `holder` keeps on `table`: the command under
    test has reached its write."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        waiting = holder.execute(
            sa.text(
                "select count(*) from pg_locks as l join pg_class as c on c.oid = l.relation"
                " where c.relname = :table and not l.granted"
            ),
            {"table": table},
        ).scalar_one()
        if waiting:
            return True
        time.sleep(0.1)
    return False


AS_OF = ("--as-of", "2026-08-15")  # every build describes the same moment, to compare them


@pytest.mark.parametrize("command", ["append", "ingest", "build"])
def test_a_server_stopped_under_a_command_keeps_all_or_nothing(
    own_server: PostgresServer,
    tmp_path: Path,
    command: str,
    record_property: Callable[[str, object], None],
) -> None:
    ws = Workspace(tmp_path, own_server.new_database(), "postgres")
    observations = tmp_path / "observations.csv"
    observations.write_text(
        "client_id,kpi_id,observed_at,value\n"
        + "".join(f"acme,first-visits,2026-07-{d:02d}T12:00:00Z,{d}\n" for d in range(1, 29))
    )
    goals = write_jsonl(tmp_path / "goals.jsonl", goals_of("first"))
    args = {"append": [str(goals)], "ingest": [str(observations)], "build": list(AS_OF)}[command]
    table = {"append": "okr_events", "ingest": "okr_observations", "build": "okr_objectives"}
    if command == "build":  # a built warehouse, then new goals for the next build
        assert ws.okr("append", str(goals)).code == 0
        assert ws.okr("ingest", str(observations)).code == 0
        assert ws.okr("build", *AS_OF).code == 0
        assert ws.append(goals_of("second"), "second.jsonl").code == 0
    else:
        assert ws.okr("init").code == 0
    before = marts(ws, LOAD_ORDER) if command == "build" else counts(ws)

    holder_engine = sa.create_engine(ws.url)
    holder = holder_engine.connect()
    holder.exec_driver_sql(f"lock table {table[command]} in access exclusive mode")
    process = subprocess.Popen(
        [OKR, command, *args, "--warehouse", ws.url],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        reached = wait_for_a_lock_wait(holder, table[command], process)
        own_server.halt()
        _, err = process.communicate(timeout=120)
    finally:
        holder.invalidate()  # its server is gone: close it without a rollback
        holder_engine.dispose()
        own_server.resume()
    assert reached, err
    errors = [line for line in err.splitlines() if line.startswith("okr: error: ")]
    assert process.returncode == 1 and len(errors) == 1 and "Traceback" not in err, err
    record_property("server_stops", 1)

    if command == "build":
        halfway = marts(ws, LOAD_ORDER)
        leftovers = "select tablename from pg_tables where tablename like '%dbt%'"
        # dbt drops a mart's previous table (__dbt_backup) just after the swap commits: a stop
        # in between may leave one, never a half-built __dbt_tmp
        assert not [t for t in ws.rows(leftovers) if not t["tablename"].endswith("__dbt_backup")]
        again = ws.okr("build", *AS_OF)
        assert again.code == 0, again.err
        assert ws.rows(leftovers) == []  # the next build removes any backup left
        after = marts(ws, LOAD_ORDER)
        assert after != before
        for mart, rows in halfway.items():  # each mart whole: as it was, or as it is now
            assert rows in (before[mart], after[mart]), mart
        assert halfway["okr_objectives"] == before["okr_objectives"]  # it waited, then died
    else:
        assert counts(ws) == before  # no partial batch, and no rejection recorded for it
        again = ws.okr(command, *args)
        assert again.code == 0, again.err
        assert counts(ws)[table[command]] == {"append": 3, "ingest": 28}[command]


def counts(ws: Workspace) -> dict[str, int]:
    return {
        table: ws.rows(f"select count(*) as n from {table}")[0]["n"]
        for table in ("okr_events", "okr_observations", "okr_rejected_events")
    }


PASSWORD = "s3cr3t-Wr0ng"


def test_no_message_or_log_shows_the_password(own_server: PostgresServer, tmp_path: Path) -> None:
    url = own_server.new_database()
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql("create role guarded login password 'the-right-one'")
    admin.dispose()
    own_server.require_password("guarded")
    guarded = sa.make_url(url).set(username="guarded", password=PASSWORD)
    refused = guarded.render_as_string(hide_password=False)
    assert PASSWORD in refused
    goals = write_jsonl(tmp_path / "goals.jsonl", goals_of("g"))
    for args in (
        ["init"],
        ["append", str(goals)],
        ["ingest", str(goals)],
        ["check"],
        ["build"],
        ["publish"],
        ["access", "list"],
        ["scorecard"],
        ["report", "--client", "acme", "--period", "2026-Q3", "--out", "r.html"],
    ):
        run = run_okr(*args, "--warehouse", refused, cwd=tmp_path)
        shown = run.out + run.err
        assert PASSWORD not in shown, args
        if args != ["publish"]:  # publish: nothing to publish on PostgreSQL, without connecting
            assert run.code in (1, 4) and "password authentication failed" in run.err, args
            assert len([x for x in run.err.splitlines() if x.startswith("okr: error:")]) == 1
    # URLs a tired analyst writes: an unknown driver, the password as a query parameter, an
    # unescaped @ in it, a port that is not a number
    address = f"127.0.0.1:{own_server.port}/{guarded.database}"
    for mistaken in (
        refused.replace("postgresql://", "postgresql+nosuchdriver://"),
        f"postgresql://guarded@{address}?sslmode=disable&password={PASSWORD}",
        f"postgresql://guarded:{PASSWORD}@x@{address}",
        f"postgresql://guarded:{PASSWORD}?k/9#z@{address}",
        f"postgresql://guarded:{PASSWORD}@127.0.0.1:port/{guarded.database}",
    ):
        run = run_okr("init", "--warehouse", mistaken, cwd=tmp_path)
        assert run.code == 1 and PASSWORD not in run.err and "***" in run.err, run.err
        assert run.err.count("\n") == 1 and run.err.startswith("okr: error: "), run.err
    # the logs and files okr keeps for this warehouse: only dbt's profile holds the password,
    # readable by its owner only
    folder = work_dir(refused)
    profile = folder / "profiles.yml"
    assert PASSWORD in profile.read_text()
    assert profile.stat().st_mode & 0o777 == 0o600
    for path in folder.rglob("*"):
        if path.is_file() and path != profile:
            assert PASSWORD.encode() not in path.read_bytes(), path
