"""Per-client access: row-level security on PostgreSQL (okr access) with real roles on a real
server, and a client's own published file on DuckDB (okr publish --client)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa
from postgres import PostgresServer

from okr_plugin.dashboards import question_sql
from okr_plugin.resources import mart_names

from conftest import Workspace, marts, new_workspace, query, run_okr

ACME = "acme"
BETA = "beta"
# A client id that tries SQL, with quotes and Polish letters, 200 characters: stored verbatim
HOSTILE = "acme'; drop table okr_objectives; -- zażółć ".ljust(200, "ż")
HOSTILE_ROLE = "o\"brien'; drop table okr_objectives; -- zażółć"  # a role name, likewise
CLIENTS = (ACME, BETA, HOSTILE)
# Which clients each role reads; None: every client (an agency-wide role).
ROLES: dict[str, set[str] | None] = {
    "acme_reader": {ACME},
    "beta_reader": {BETA, HOSTILE},  # one role, several clients
    HOSTILE_ROLE: {HOSTILE},
    "agency": None,
}
INPUTS = ("okr_events", "okr_observations", "okr_rejected_events", "okr_quality_results")
INSUFFICIENT_PRIVILEGE = "42501"


def demo_copies(folder: Path, clients: tuple[str, ...], prefix: str = "") -> tuple[Path, Path]:
    """The demo's events and observations once per client (its own ids), as two files."""
    demo = resources.files("okr_plugin") / "demo"
    events = [json.loads(line) for line in (demo / "saas_2026q3.jsonl").read_text().splitlines()]
    observations = list(csv.DictReader(io.StringIO((demo / "observations.csv").read_text())))
    goal_lines, rows = [], []
    for number, client in enumerate(clients):
        for goal in events:
            goal_lines.append(
                json.dumps(
                    {
                        **goal,
                        "event_id": f"{prefix}{number}-{goal['event_id']}",
                        "client_id": client,
                    }
                )
            )
        rows += [{**row, "client_id": client} for row in observations]
    goals = folder / f"{prefix}goals.jsonl"
    goals.write_text("\n".join(goal_lines) + "\n", encoding="utf-8")
    metrics = folder / f"{prefix}observations.csv"
    with metrics.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(observations[0]))
        writer.writeheader()
        writer.writerows(rows)
    return goals, metrics


def as_role(url: str, role: str) -> sa.Engine:
    """An engine that logs in as `role` (the test server trusts local logins)."""
    return sa.create_engine(sa.make_url(url).set(username=role))


@pytest.fixture(scope="module")
def shared(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workspace]:
    """A warehouse with three clients and a login role per entry of ROLES, built and granted."""
    folder = tmp_path_factory.mktemp("access")
    ws = Workspace(folder, postgres_server.new_database(), "postgres")
    goals, metrics = demo_copies(folder, CLIENTS)
    assert ws.okr("append", str(goals)).code == 0
    assert ws.okr("ingest", str(metrics)).code == 0
    built = ws.okr("build")
    assert built.code == 0, built.err
    admin = sa.create_engine(ws.url)
    with admin.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        for role in ROLES:
            conn.exec_driver_sql(f"create role {quote(role)} login")
        # a schema of acme_reader's own, to try views and functions of its own in
        conn.exec_driver_sql("create schema acme_own authorization acme_reader")
    admin.dispose()
    for role, clients in ROLES.items():
        for client in sorted(clients) if clients is not None else [None]:
            whom = ["--all-clients"] if client is None else ["--client", client]
            granted = ws.okr("access", "grant", "--role", role, *whom)
            assert granted.code == 0, granted.err
            assert granted.out.startswith(f"role {role!r} now reads ")
    yield ws


def rows_seen(url: str, role: str) -> dict[str, int]:
    """Rows of every mart as `role` reads them."""
    engine = as_role(url, role)
    try:
        with engine.connect() as conn:
            return {
                mart: conn.execute(sa.text(f"select count(*) from {mart}")).scalar_one()
                for mart in mart_names()
            }
    finally:
        engine.dispose()


def rows_of(url: str, clients: set[str] | None) -> dict[str, int]:
    """Rows of every mart that belong to `clients` (None: all), as the owner counts them."""
    counts = {}
    for mart in mart_names():
        where = "" if clients is None else " where client_id in :clients"
        sql = sa.text(f"select count(*) as n from {mart}{where}")
        if clients is not None:
            sql = sql.bindparams(sa.bindparam("clients", sorted(clients), expanding=True))
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            counts[mart] = conn.execute(sql).scalar_one()
        engine.dispose()
    return counts


def clients_seen(url: str, role: str) -> set[str]:
    """The clients of every row of every mart, as `role` reads them."""
    engine = as_role(url, role)
    try:
        with engine.connect() as conn:
            union = " union ".join(f"select client_id from {mart}" for mart in mart_names())
            return set(conn.execute(sa.text(union)).scalars())
    finally:
        engine.dispose()


def assert_each_role_reads_its_clients(url: str) -> None:
    for role, clients in ROLES.items():
        expected = rows_of(url, clients)
        assert rows_seen(url, role) == expected, role
        # the agency also reads the rows of no client (okr_forecast_accuracy over every
        # client); a client's role none of them
        seen = set(CLIENTS) | {None} if clients is None else clients
        assert clients_seen(url, role) == seen, role
        assert expected["okr_objectives"] > 0 and expected["okr_kpi_rollups"] > 0, role
    # the demo copies make every client's rows the same in number: a client's share is a third
    everything = rows_of(url, set(CLIENTS))
    assert all(n > 0 for n in everything.values()), everything
    assert rows_seen(url, "acme_reader") == {m: n // 3 for m, n in everything.items()}


@contextmanager
def meanwhile(url: str, role: str, sql: str) -> Iterator[list[tuple[float, list[Any]]]]:
    """`role` runs `sql` every 50 ms, in a thread and a session of its own, while the block
    runs: each run's seconds and rows, in order."""
    runs: list[tuple[float, list[Any]]] = []
    stop = threading.Event()

    def keep_running() -> None:
        engine = as_role(url, role)
        with engine.connect() as conn:
            while not stop.is_set():
                start = time.monotonic()
                rows = [tuple(row) for row in conn.exec_driver_sql(sql)]
                conn.rollback()
                runs.append((time.monotonic() - start, rows))
                time.sleep(0.05)
        engine.dispose()

    thread = threading.Thread(target=keep_running)
    thread.start()
    try:
        yield runs
    finally:
        stop.set()
        thread.join()


def refused(url: str, role: str, *statements: str) -> str:
    """Run statements as `role` in one transaction; the last must fail for lack of privilege."""
    engine = as_role(url, role)
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as failure:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
    assert failure.value.orig is not None
    assert failure.value.orig.sqlstate == INSUFFICIENT_PRIVILEGE, failure.value  # type: ignore[attr-defined]
    return str(failure.value.orig)


def test_roles_read_their_clients_after_a_build_a_rebuild_and_a_full_refresh(
    shared: Workspace,
) -> None:
    ws = shared
    assert_each_role_reads_its_clients(ws.url)
    # more of every client, then an incremental rebuild: the tables are new, the rights too
    goals, metrics = demo_copies(ws.folder, CLIENTS, prefix="more-")
    assert ws.okr("append", str(goals)).code == 0
    assert ws.okr("ingest", str(metrics)).code in (0, 3)  # the same observations: duplicates
    rebuilt = ws.okr("build")
    assert rebuilt.code == 0, rebuilt.err
    assert_each_role_reads_its_clients(ws.url)
    refreshed = ws.okr("build", "--full-refresh")
    assert refreshed.code == 0, refreshed.err
    assert_each_role_reads_its_clients(ws.url)
    # okr_access shows each role its own grants only
    engine = as_role(ws.url, "beta_reader")
    with engine.connect() as conn:
        own = conn.execute(sa.text("select role_name, client_id from okr_access")).all()
    engine.dispose()
    assert sorted(own) == sorted([("beta_reader", BETA), ("beta_reader", HOSTILE)])


def test_a_client_role_cannot_go_around_the_policy(shared: Workspace) -> None:
    url = shared.url
    for table in (*INPUTS, "okr_quality_runs", "int_okr__objectives", "okr_event_types"):
        assert "permission denied" in refused(url, "acme_reader", f"select * from {table}")
    refused(url, "acme_reader", "set role beta_reader")
    refused(url, "acme_reader", "set role agency")
    # no write anywhere: not a mart, not the grants, not the schema
    refused(url, "acme_reader", "delete from okr_objectives")
    refused(url, "acme_reader", "update okr_kpis set client_id = 'acme'")
    refused(url, "acme_reader", "insert into okr_access values ('acme_reader', null, now())")
    refused(url, "acme_reader", "insert into okr_events (event_id) values ('x')")
    refused(url, "acme_reader", "create table public.mine (x int)")
    refused(url, "acme_reader", "create view public.everything as select * from okr_objectives")
    # no switching the policy off, for a session or for the table
    refused(url, "acme_reader", "set row_security = off", "select * from okr_objectives")
    refused(url, "acme_reader", "alter table okr_objectives disable row level security")
    # system columns tell where other clients' rows lie: select is on the columns only
    refused(url, "acme_reader", "select ctid from okr_objectives")
    refused(url, "acme_reader", "select xmin from okr_kpi_rollups")
    refused(url, "acme_reader", "drop policy okr_client_rows on okr_objectives")
    # a leakproof function would see rows before the policy filters them: superusers only
    refused(
        url,
        "acme_reader",
        "create function acme_own.peek(text) returns boolean language sql leakproof"
        " as 'select true'",
    )
    # and okr has no security-definer function a client could call
    definers = "select count(*) as n from pg_proc where prosecdef"
    assert query(url, f"{definers} and pronamespace = 'public'::regnamespace")[0]["n"] == 0
    # a view of its own reads as its owner, the client: an input table stays closed
    refused(
        url,
        "acme_reader",
        "create view acme_own.events as select * from public.okr_events",
        "select * from acme_own.events",
    )
    # ...and a view or a security-definer function of its own over a mart shows its rows only
    engine = as_role(url, "acme_reader")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "create view acme_own.objectives as select * from public.okr_objectives"
        )
        conn.exec_driver_sql(
            "create function acme_own.all_objectives() returns setof public.okr_objectives"
            " language sql security definer as 'select * from public.okr_objectives'"
        )
        seen = {
            name: conn.exec_driver_sql(f"select distinct client_id from {name}").scalars().all()
            for name in ("acme_own.objectives", "acme_own.all_objectives()")
        }
    engine.dispose()
    assert seen == {"acme_own.objectives": [ACME], "acme_own.all_objectives()": [ACME]}
    # the hostile names did nothing but name things
    assert query(url, "select count(*) as n from okr_objectives")[0]["n"] > 0
    owner_view = query(url, "select role_name, client_id from okr_access order by 1, 2")
    assert (HOSTILE_ROLE, HOSTILE) in [(r["role_name"], r["client_id"]) for r in owner_view]


def test_access_commands_refuse_what_cannot_work(shared: Workspace, tmp_path: Path) -> None:
    ws = shared
    admin = sa.create_engine(ws.url)
    with admin.begin() as conn:  # roles that row-level security would not keep to a client
        conn.exec_driver_sql("create role owner_friend login in role postgres")
        conn.exec_driver_sql("create role role_maker login createrole")
        conn.exec_driver_sql("create role bi_all login")
        conn.exec_driver_sql("grant select on all tables in schema public to bi_all")
    for args, message in (
        (["--role", "owner_friend", "--client", ACME], "may act as the owner of okr's tables"),
        (["--role", "role_maker", "--client", ACME], "has createrole"),
        (["--role", "bi_all", "--client", ACME], "can read int_okr__"),
        (["--role", "x" * 200, "--client", ACME], "is 200 bytes long; PostgreSQL role names"),
        (
            ["--role", "nobody'; drop table okr_objectives; --", "--client", ACME],
            "there is no role",
        ),
        (["--role", "acme_reader", "--client", "zażółć\"'; --"], "no client 'zażółć"),
        (["--role", "acme_reader", "--client", "x" * 300], "ids are at most 256"),
        (["--role", "postgres", "--client", ACME], "is a superuser or has bypassrls"),
    ):
        run = ws.okr("access", "grant", *args)
        assert run.code == 1 and run.err.count("\n") == 1, run.err
        assert message in run.err
    again = ws.okr("access", "grant", "--role", "acme_reader", "--client", ACME)
    assert again.code == 0, again.err
    assert "already reads client 'acme'; its timeouts are set, nothing else changed" in again.out
    listed = ws.okr("access", "list")
    assert listed.code == 0
    assert f"{HOSTILE_ROLE!r} reads client {HOSTILE!r} (granted " in listed.out
    assert "'agency' reads every client (granted " in listed.out
    # a mart without its policy (built before okr access, or changed by hand): no grant
    with admin.begin() as conn:
        conn.exec_driver_sql("alter table okr_scorecard disable row level security")
    bare = ws.okr("access", "grant", "--role", "acme_reader", "--client", BETA)
    assert bare.code == 1 and "okr_scorecard has no row-level security yet" in bare.err
    with admin.begin() as conn:
        conn.exec_driver_sql("alter table okr_scorecard enable row level security")
    # a privilege given after the grant: okr access list warns
    with admin.begin() as conn:
        conn.exec_driver_sql("grant select on okr_events to agency")
    warned = ws.okr("access", "list")
    assert warned.code == 0
    assert warned.err == (
        "warning: role 'agency' can read okr_events, or columns of it (revoke that first)\n"
    )
    with admin.begin() as conn:
        conn.exec_driver_sql("revoke select on okr_events from agency")
    admin.dispose()
    duck = run_okr("access", "list", "--warehouse", str(tmp_path / "w.duckdb"), cwd=tmp_path)
    assert duck.code == 1 and "okr access needs PostgreSQL" in duck.err


def test_a_revoked_role_reads_nothing(shared: Workspace) -> None:
    ws = shared
    url = ws.url
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql("create role leaving login")
    admin.dispose()
    assert ws.okr("access", "grant", "--role", "leaving", "--client", BETA).code == 0
    assert rows_seen(url, "leaving") == rows_of(url, {BETA})
    revoked = ws.okr("access", "revoke", "--role", "leaving", "--client", BETA)
    assert revoked.code == 0 and "no longer reads client 'beta'" in revoked.out
    refused(url, "leaving", "select * from okr_objectives")  # no grant left: no select either
    twice = ws.okr("access", "revoke", "--role", "leaving", "--client", BETA)
    assert twice.code == 0 and "nothing changed" in twice.out


def published_rows(path: Path) -> dict[str, list[tuple[str, ...]]]:
    """Every mart of a published file, without the moment a build describes."""
    with duckdb.connect(str(path), read_only=True) as published:
        found = {}
        for mart in mart_names():
            cursor = published.execute(f"select * from {mart}")
            names = [d[0] for d in cursor.description]
            found[mart] = sorted(
                tuple(str(v) for k, v in zip(names, row, strict=True) if k not in MOMENT)
                for row in cursor.fetchall()
            )
        return found


def test_publish_a_client_file_with_its_rows_only(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    ws = new_workspace("duckdb", tmp_path, request)
    goals, metrics = demo_copies(tmp_path, (ACME, HOSTILE))
    assert ws.okr("append", str(goals)).code == 0
    assert ws.okr("ingest", str(metrics)).code == 0
    assert ws.okr("build").code == 0
    target = tmp_path / "for the client.duckdb"
    run = ws.okr("publish", "--client", HOSTILE, "--to", str(target))
    assert run.code == 0, run.err
    assert f"rows of client {HOSTILE!r}) to {target}" in run.out
    everything = rows_of(ws.url, {ACME, HOSTILE})  # not the rows over every client
    with duckdb.connect(str(target), read_only=True) as published:
        assert sorted(t for (t,) in published.execute("show tables").fetchall()) == mart_names()
        for mart, n in everything.items():
            clients = published.execute(f"select distinct client_id from {mart}").fetchall()
            assert clients == [(HOSTILE,)], mart
            count = published.execute(f"select count(*) from {mart}").fetchone()
            assert count is not None and count[0] == n // 2, mart  # half: two equal clients
    # another client's activity leaves the client's file as it was (no shared counter)
    seen = published_rows(target)
    more, more_metrics = demo_copies(tmp_path, (ACME,), prefix="more-")
    assert ws.okr("append", str(more)).code == 0
    assert ws.okr("ingest", str(more_metrics)).code in (0, 3)  # the same rows: duplicates
    assert ws.okr("build").code == 0
    again = tmp_path / "again.duckdb"
    assert ws.okr("publish", "--client", HOSTILE, "--to", str(again)).code == 0
    assert published_rows(again) == seen
    # (test_superset opens a client's file with the DuckDB that BI tools bundle)
    unknown = ws.okr("publish", "--client", "nobody", "--to", str(tmp_path / "nobody.duckdb"))
    assert unknown.code == 1 and "no rows of client 'nobody'" in unknown.err
    assert not (tmp_path / "nobody.duckdb").exists()
    nowhere = ws.okr("publish", "--client", ACME)
    assert nowhere.code == 1 and "needs --to FILE" in nowhere.err


def estimate(url: str, role: str, sql: str) -> float:
    """The planner's row estimate for `sql`, as `role` asks for it."""
    engine = as_role(url, role)
    try:
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(f"explain (format json) {sql}").scalar_one()
    finally:
        engine.dispose()
    return float(plan[0]["Plan"]["Plan Rows"])


def as_acme_sees(ws: Workspace) -> dict[str, list[dict[str, Any]]]:
    """Every mart as acme_reader reads it, without the moment a build describes."""
    role_url = sa.make_url(ws.url).set(username="acme_reader").render_as_string(False)
    return marts(Workspace(ws.folder, role_url, ws.kind), MOMENT)


MOMENT = {"as_of_at", "known_at"}  # when the build ran: the same for every client
SECRET = "Beta secret plan"  # a title only beta has
SECRET_VALUE = 7777  # a KPI value only beta has


def add_plan(ws: Workspace, client: str, title: str, value: float) -> None:
    """An objective titled `title` and a KPI (max) observed at `value` every day of July."""
    at = "2026-07-01T09:00:00Z"
    period = {"level": "company", "period": "2026-Q3", "owner": "zed"}
    plan = [
        {"event_id": f"{title}-o", "event_type": "objective_created", "client_id": client,
         "entity_id": "o-plan", "occurred_at": at, "payload": {"title": title, **period}},
        {"event_id": f"{title}-k", "event_type": "kpi_defined", "client_id": client,
         "entity_id": "k-plan", "occurred_at": at,
         "payload": {"name": "Plan", "aggregation": "max"}},
    ]  # fmt: skip
    (ws.folder / "plan.jsonl").write_text("".join(json.dumps(e) + "\n" for e in plan))
    assert ws.okr("append", "plan.jsonl").code == 0
    (ws.folder / "plan.csv").write_text(
        "client_id,kpi_id,observed_at,value\n"
        + "".join(f'"{client}",k-plan,2026-07-{d:02d}T12:00:00Z,{value}\n' for d in range(1, 31))
    )
    ingested = ws.okr("ingest", "plan.csv")
    assert ingested.code == 0, ingested.err


def test_another_clients_activity_and_values_show_nowhere(shared: Workspace) -> None:
    """acme's rows do not move when beta appends and the marts are rebuilt (no shared counter),
    and the planner's estimates tell acme nothing of beta's titles and values, even once
    the marts have been analysed."""
    ws = shared
    # each client gets a plan and a KPI of its own (the same rows in number: a third each)
    add_plan(ws, ACME, "Acme secret plan", 1111)
    add_plan(ws, HOSTILE, "Hostile secret plan", 2222)
    assert ws.okr("build").code == 0
    before = as_acme_sees(ws)
    add_plan(ws, BETA, SECRET, SECRET_VALUE)
    built = ws.okr("build")
    assert built.code == 0, built.err
    secret_rows = f"select count(*) as n from okr_objectives where title = '{SECRET}'"
    assert query(ws.url, secret_rows) == [{"n": 1}]
    assert as_acme_sees(ws) == before  # event numbers, watermarks: nothing moved
    # the event log counts acme's own events: 1, 2, 3, ... though beta's lie between them
    engine = as_role(ws.url, "acme_reader")
    with engine.connect() as conn:
        numbers = (
            conn.exec_driver_sql("select sequence_no from okr_event_log order by sequence_no")
            .scalars()
            .all()
        )
    engine.dispose()
    stored = query(ws.url, f"select count(*) as n from okr_events where client_id = '{ACME}'")
    assert numbers == list(range(1, stored[0]["n"] + 1))

    # what autovacuum would do sooner or later: statistics gathered, by the owner
    readable = ["okr_access", *mart_names()]  # what a client role may read
    for table in readable:
        ws.execute(f"analyze {table}")
    gathered = query(ws.url, "select count(*) as n from pg_stats where tablename = any(array["
                     + ", ".join(f"'{t}'" for t in readable) + "])")  # fmt: skip
    assert gathered == [{"n": 0}]
    made_up = "Nobody plan"
    for mart in ("okr_objectives", "okr_objective_daily"):
        asked = {
            title: estimate(ws.url, "acme_reader", f"select 1 from {mart} where title = '{title}'")
            for title in (SECRET, made_up)
        }
        assert asked[SECRET] == asked[made_up], (mart, asked)
        prefix = {
            p: estimate(
                ws.url, "acme_reader", f"select 1 from {mart} where title < '{p}' collate \"C\""
            )
            for p in ("Beta", "Beta s", "A")
        }
        assert len(set(prefix.values())) == 1, (mart, prefix)

    def values() -> tuple[float, float]:
        sql = "select 1 from okr_kpi_rollups where value = {}"
        return tuple(  # type: ignore[return-value]
            estimate(ws.url, "acme_reader", sql.format(v)) for v in (SECRET_VALUE, 1234.5)
        )

    assert values()[0] == values()[1]
    # statistics from before this version, on an incremental mart: the probe works on them
    # (beta's value is told from a made-up one), and the next build removes them
    columns = query(
        ws.url,
        "select attname from pg_attribute where attrelid = 'okr_kpi_rollups'::regclass"
        " and attnum > 0 and not attisdropped",
    )
    ws.execute(
        "alter table okr_kpi_rollups "
        + ", ".join(f"alter column {c['attname']} set statistics 100" for c in columns)
    )
    ws.execute("analyze okr_kpi_rollups")
    stats = "select count(*) as n from pg_stats where tablename = 'okr_kpi_rollups'"
    assert query(ws.url, stats)[0]["n"] > 0
    assert values()[0] > values()[1]
    assert ws.okr("build").code == 0
    assert query(ws.url, stats) == [{"n": 0}]
    assert values()[0] == values()[1]

    # an error as the side channel: a division by zero on beta's value only, which the owner
    # meets; row-level security filters acme's rows first, so acme's query never does
    probe = f"select count(*) as n from okr_kpi_rollups where 1 / (value - {SECRET_VALUE}) <> 0"
    with pytest.raises(sa.exc.DBAPIError, match="division by zero"):
        query(ws.url, probe)
    engine = as_role(ws.url, "acme_reader")
    with engine.connect() as conn:
        assert conn.exec_driver_sql(probe).scalar_one() > 0
    engine.dispose()


def test_the_rows_of_no_client_stay_out_of_a_client_s_reach(shared: Workspace) -> None:
    """okr_forecast_accuracy's rows over every client (client_id null) sum up other clients'
    outcomes: a client's role reads none of them, asking for them directly, through an error
    that only their values would raise, or through the planner's estimates."""
    url = shared.url
    assert shared.okr("build").code == 0  # as of now: the demo copies' quarters have ended
    overall = query(url, "select forecasts from okr_forecast_accuracy where client_id is null")
    assert overall, "the owner reads the rows over every client"
    engine = as_role(url, "acme_reader")
    with engine.connect() as conn:
        nulls = (
            "select count(*) from okr_forecast_accuracy"
            " where client_id is null or scope = 'overall'"
        )
        assert conn.exec_driver_sql(nulls).scalar_one() == 0
        # a division by zero on the overall rows' count only: the owner meets it, acme does not
        probe = (
            "select count(*) from okr_forecast_accuracy"
            f" where 1 / (forecasts - {overall[0]['forecasts']}) <> 0 and scope = 'overall'"
        )
        assert conn.exec_driver_sql(probe).scalar_one() == 0
    engine.dispose()
    with pytest.raises(sa.exc.DBAPIError, match="division by zero"):
        query(url, probe)
    # the planner says the same for the rows of no client as for a client that does not exist
    asked = [
        estimate(url, "acme_reader", f"select 1 from okr_forecast_accuracy where {condition}")
        for condition in ("client_id is null", "client_id = 'nobody'", "scope = 'overall'")
    ]
    assert len(set(asked)) == 1, asked


def test_every_privilege_path_is_refused_and_listed(shared: Workspace) -> None:
    ws = shared
    admin = sa.create_engine(ws.url)
    paths = {
        "column_reader": ("grant select (client_id, payload) on okr_events to column_reader",
                          "can read okr_events, or columns of it"),
        "trigger_maker": ("grant trigger on okr_events to trigger_maker",
                          "holds more than select on okr_events"),
        "referrer": ("grant references (event_id) on okr_events to referrer",
                     "holds more than select on okr_events"),
        "truncater": ("grant truncate on okr_observations to truncater",
                      "holds more than select on okr_observations"),
        "mart_writer": ("grant update (title) on okr_objectives to mart_writer",
                        "holds more than select on okr_objectives"),
        "owner_heir": ("grant postgres to owner_heir", "may act as the owner of okr's tables"),
        "new_tables": ("alter default privileges in schema public grant select on tables"
                       " to new_tables", "by the default privileges of okr's owner"),
    }  # fmt: skip
    with admin.begin() as conn:
        for role, (privilege, _) in paths.items():
            conn.exec_driver_sql(f"create role {role} login")
            conn.exec_driver_sql(privilege)
        conn.exec_driver_sql("create role plain login")
    for role, (_, reason) in paths.items():
        run = ws.okr("access", "grant", "--role", role, "--client", ACME)
        assert run.code == 1 and reason in run.err and run.err.count("\n") == 1, run.err
    ws.execute("alter default privileges in schema public revoke select on tables from new_tables")
    # a security-definer function of the owner: whoever may run it acts as the owner
    ws.execute(
        "create function public.count_events() returns bigint language sql security definer"
        " as 'select count(*) from public.okr_events'"
    )
    run = ws.okr("access", "grant", "--role", "plain", "--client", ACME)
    ws.execute("drop function public.count_events()")
    assert run.code == 1 and "may run count_events(), which runs with" in run.err
    # a client's own default privileges are its own business: grants go on
    engine = as_role(ws.url, "acme_reader")
    with engine.begin() as conn:
        conn.exec_driver_sql("alter default privileges grant select on tables to public")
    engine.dispose()
    granted = ws.okr("access", "grant", "--role", "plain", "--client", BETA)
    assert granted.code == 0, granted.err
    assert ws.okr("access", "list").err == ""

    # privileges gained after the grant, and membership between granted roles: list warns
    with admin.begin() as conn:
        conn.exec_driver_sql("grant trigger on okr_events to plain")
        conn.exec_driver_sql("grant acme_reader to beta_reader")
    warned = ws.okr("access", "list").err.splitlines()
    assert warned == [
        "warning: role 'beta_reader' is a member of role 'acme_reader', so it also reads what"
        " 'acme_reader' was granted",
        "warning: role 'plain' holds more than select on okr_events (write, truncate, references,"
        " trigger or maintain; revoke that first)",
    ]
    with admin.begin() as conn:
        conn.exec_driver_sql("revoke trigger on okr_events from plain")
        conn.exec_driver_sql("revoke acme_reader from beta_reader")
    admin.dispose()
    assert ws.okr("access", "revoke", "--role", "plain", "--client", BETA).code == 0


def test_a_policy_or_grant_changed_by_hand_is_put_back(shared: Workspace) -> None:
    ws = shared
    ws.execute("alter policy okr_client_rows on okr_kpi_rollups using (true)")  # incremental
    ws.execute("create policy everything on okr_objectives for select using (true)")
    assert clients_seen(ws.url, "acme_reader") == set(CLIENTS)  # the holes are real
    ws.execute("revoke select on okr_kpi_rollups from acme_reader")  # incremental
    built = ws.okr("build")
    assert built.code == 0, built.err
    assert_each_role_reads_its_clients(ws.url)
    policies = query(
        ws.url,
        "select polname, pg_get_expr(polqual, polrelid) as qual from pg_policy"
        " where polrelid in ('okr_kpi_rollups'::regclass, 'okr_objectives'::regclass)",
    )
    assert [p["polname"] for p in policies] == ["okr_client_rows", "okr_client_rows"]
    assert policies[0]["qual"] == policies[1]["qual"]


def test_a_client_s_lock_meets_each_build_s_own_timeout_and_nothing_is_left_held(
    shared: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt's process is kept from one build to the next in this process: a build that a
    client's lock holds up waits its own OKR_LOCK_TIMEOUT, not the one dbt's process started
    with; another client watching pg_stat_activity meanwhile sees the build's sessions but not
    their statements; the build the client made fail leaves no session of the owner behind."""
    ws = shared
    monkeypatch.setenv("OKR_LOCK_TIMEOUT", "60")
    assert ws.okr("build").code == 0  # dbt's process has served a build with 60 s
    holder = as_role(ws.url, "acme_reader").connect()
    holder.exec_driver_sql("set idle_in_transaction_session_timeout = 0")
    holder.exec_driver_sql("select count(*) from okr_objectives")  # a lock, left open
    monkeypatch.setenv("OKR_LOCK_TIMEOUT", "1")
    owner = sa.make_url(ws.url).username
    watch = f"select query from pg_stat_activity where usename = '{owner}'"
    try:
        with meanwhile(ws.url, "beta_reader", watch) as runs:  # another client watching
            start = time.monotonic()
            blocked = ws.okr("build")
            took = time.monotonic() - start
    finally:
        holder.close()
    seen = [statement for _, rows in runs for (statement,) in rows]
    # the build's sessions were there to see, but not what they ran
    assert seen and set(seen) == {"<insufficient privilege>"}, set(seen)
    assert blocked.code == 1 and "within 1 s, 3 times" in blocked.err, blocked.err
    assert "role 'acme_reader'" in blocked.err
    assert took < 90  # 3 tries of 1 s each; with the first build's 60 s, 3 x 60 at least
    left = query(
        ws.url,
        "select count(*) as n from pg_stat_activity where usename = current_user"
        " and datname = current_database() and pid <> pg_backend_pid()",
    )
    assert left == [{"n": 0}]  # dbt's process closed its sessions, locks and all
    beta = sa.make_url(ws.url).set(username="beta_reader").render_as_string(False)
    assert query(beta, "select count(*) as n from okr_objectives")[0]["n"] > 0  # no wait
    assert ws.okr("build").code == 0


def test_a_client_cannot_cancel_or_end_the_owner_s_sessions(shared: Workspace) -> None:
    """A client sees the owner's sessions in pg_stat_activity (their process ids, not what they
    run); cancelling one's statement or ending it, which would stop a build, is refused, and
    the session goes on."""
    ws = shared
    owner = sa.make_url(ws.url).username
    beta = sa.make_url(ws.url).set(username="beta_reader").render_as_string(False)
    engine = sa.create_engine(ws.url)  # a session of the owner's, as each of a build's is
    try:
        with engine.connect() as build:
            pid = build.exec_driver_sql("select pg_backend_pid()").scalar_one()
            seen = query(beta, f"select pid from pg_stat_activity where usename = '{owner}'")
            assert {"pid": pid} in seen
            for signal in ("pg_cancel_backend", "pg_terminate_backend"):
                refused(ws.url, "beta_reader", f"select {signal}({pid})")
            assert build.exec_driver_sql("select 1").scalar_one() == 1  # still there
    finally:
        engine.dispose()


def test_a_client_cannot_hold_up_builds_or_other_clients(shared: Workspace) -> None:
    ws = shared
    settings = query(
        ws.url,
        "select unnest(s.setconfig) as setting from pg_db_role_setting as s"
        " join pg_roles as r on r.oid = s.setrole where r.rolname = 'acme_reader'",
    )
    assert {r["setting"] for r in settings} == {
        "idle_in_transaction_session_timeout=60s",
        "statement_timeout=300s",
    }
    # a transaction left open after one select: the build waits 2 s per try, then names it
    holder = as_role(ws.url, "acme_reader").connect()  # its transaction begins with the set
    holder.exec_driver_sql("set idle_in_transaction_session_timeout = 0")  # its own to change
    holder.exec_driver_sql("select count(*) from okr_objectives")
    try:
        # another client reading all along
        with meanwhile(ws.url, "beta_reader", "select count(*) from okr_objectives") as runs:
            start = time.monotonic()
            blocked = run_okr("build", "--warehouse", ws.url, cwd=ws.folder,
                              env={"OKR_LOCK_TIMEOUT": "2"})  # fmt: skip
            took = time.monotonic() - start
    finally:
        holder.close()
    waits = [seconds for seconds, _ in runs]
    assert blocked.code == 1, blocked.err
    error = blocked.err.strip().splitlines()[-1]
    assert error.startswith("okr: error: dbt build on ") and "within 2 s, 3 times" in error
    assert "role 'acme_reader'" in error
    assert blocked.err.count("trying again") == 2
    assert took < 240
    assert waits and max(waits) < 2 + 1.5, max(waits)  # never longer than the lock timeout
    assert ws.okr("build").code == 0  # let go: the build goes through
    assert_each_role_reads_its_clients(ws.url)

    # the idle timeout itself: a role granted with 1 s loses a transaction it leaves open
    ws.execute("create role dozer login")
    granted = ws.okr("access", "grant", "--role", "dozer", "--client", BETA, "--idle-timeout", "1")
    assert granted.code == 0, granted.err
    dozer = as_role(ws.url, "dozer").connect()
    dozer.exec_driver_sql("select count(*) from okr_objectives")
    time.sleep(2)
    with pytest.raises(sa.exc.DBAPIError):  # the server ended the session
        dozer.exec_driver_sql("select 1")
    dozer.invalidate()
    assert ws.okr("access", "revoke", "--role", "dozer", "--client", BETA).code == 0


def test_a_client_role_reaches_no_plan_or_check_in_of_another_through_okr(
    shared: Workspace, tmp_path: Path
) -> None:
    """The sheets (`okr plan`, `okr checkin`) run with a client role's login: it exports no
    other client's plan, appends no event, and its errors say the same for another client as
    for one that does not exist; the dashboards' headline question shows its own rows only."""
    acme = sa.make_url(shared.url).set(username="acme_reader").render_as_string(False)
    as_acme = Workspace(tmp_path, acme, "postgres")
    before = query(shared.url, "select count(*) as n from okr_events")[0]["n"]
    said = {}
    for client in (BETA, "nobody"):
        out = tmp_path / f"{client}.csv"
        run = as_acme.okr("plan", "export", "--client", client, "--out", str(out))
        assert run.code == 1 and not out.exists(), run.out
        said[client] = run.err.replace(client, "CLIENT")
    assert said[BETA] == said["nobody"]  # beta's existence shows in no message
    assert "permission denied" in said[BETA]  # the inputs are the owner's alone
    sheet = tmp_path / "plan.csv"
    sheet.write_text(
        "objective_id,objective,level,period,key_result,target_value\n"
        "o-x,Take over,company,2026-Q4,Everything,1\n",
        encoding="utf-8",
    )
    for args in (
        ["plan", "import", str(sheet), "--client", BETA],
        ["checkin", "kr-visits", "1", "--client", BETA],
    ):
        run = as_acme.okr(*args)
        assert run.code == 1 and "permission denied" in run.err, (args, run.err)
    assert query(shared.url, "select count(*) as n from okr_events")[0]["n"] == before
    # the headline question (over the daily marts) as acme reads it: acme's rows only
    engine = as_role(shared.url, "acme_reader")
    with engine.connect() as conn:
        clients = {r.client_id for r in conn.execute(sa.text(question_sql("headline")))}
    engine.dispose()
    assert clients == {ACME}
