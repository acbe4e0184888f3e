"""The `okr` command on a real DuckDB file: counts, idempotency, rejections, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from okr_plugin.store import Line, Store

from conftest import Workspace, event, run_okr, write_jsonl

pytestmark = pytest.mark.fast  # no dbt build: make check runs these

OBJ = event(
    "e1",
    "objective_created",
    "o1",
    "2026-07-01T09:00:00Z",
    {"title": "Scale", "level": "company", "period": "2026-Q3", "owner": "anna"},
)
KR = event(
    "e2",
    "key_result_created",
    "k1",
    "2026-07-01T09:00:00Z",
    {"objective_id": "o1", "title": "Visits", "target_value": 55000},
)


def no_traceback(run_err: str) -> None:
    assert "Traceback" not in run_err


def test_counts_reconcile_and_rejections_keep_file_line_and_reason(workspace: Workspace) -> None:
    lines = [
        json.dumps(OBJ),  # 1 accepted
        json.dumps(KR),  # 2 accepted
        json.dumps(OBJ),  # 3 duplicate (same content)
        json.dumps({**KR, "payload": {**KR["payload"], "target_value": 1}}),  # 4 conflict
        "",  # 5 blank: not an event
        "not json at all",  # 6 rejected
        json.dumps({**OBJ, "event_id": "e3", "event_type": "objective_made"}),  # 7 rejected
        json.dumps({**KR, "event_id": "e4", "payload": {"title": "x"}}),  # 8 rejected
    ]
    run = workspace.append(lines)
    # 7 events in (the blank line is not one) = 2 accepted + 1 duplicate + 4 rejected
    assert run.code == 3
    assert "7 events in: 2 accepted, 1 duplicate, 4 rejected" in run.out
    assert "events.jsonl:6: not valid JSON" in run.out
    stored = workspace.rows("select event_id from okr_events order by sequence_no")
    assert [r["event_id"] for r in stored] == ["e1", "e2"]
    rejected = workspace.rows(
        "select source, line_no, event_id, raw_text, reason from okr_rejected_events"
        " order by rejection_no"
    )
    assert [(r["line_no"], r["event_id"]) for r in rejected] == [
        (6, None),
        (7, "e3"),
        (8, "e4"),
        (4, "e2"),
    ]
    assert all(r["source"].endswith("events.jsonl") for r in rejected)
    assert rejected[0]["raw_text"] == "not json at all"
    assert "already stored with different content" in rejected[3]["reason"]
    assert "event_type 'objective_made' is unknown" in rejected[1]["reason"]
    assert "payload.objective_id is required" in rejected[2]["reason"]


def test_reappend_is_a_no_op_and_a_conflict_is_rejected(workspace: Workspace) -> None:
    assert workspace.append([OBJ, KR]).code == 0
    again = workspace.append([OBJ, KR])
    assert (again.code, "2 events in: 0 accepted, 2 duplicate, 0 rejected" in again.out) == (
        0,
        True,
    )
    changed = {**OBJ, "payload": {**OBJ["payload"], "title": "Other"}}
    conflict = workspace.append([changed])
    assert conflict.code == 3 and "1 rejected" in conflict.out
    payload = workspace.rows("select payload from okr_events where event_id = 'e1'")[0]["payload"]
    payload = json.loads(payload) if isinstance(payload, str) else payload  # JSON / JSONB
    assert payload["title"] == "Scale"


def test_sequence_no_increases_and_recorded_at_is_assigned_or_honoured(
    workspace: Workspace,
) -> None:
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=5)
    without_recorded_at = {k: v for k, v in OBJ.items() if k != "recorded_at"}
    assert workspace.append([without_recorded_at]).code == 0
    backfill = event(
        "e9",
        "key_result_checked_in",
        "k1",
        "2026-07-03T09:00:00Z",
        {"value": 5},
        recorded_at="2026-07-04T10:30:00+02:00",
    )
    assert workspace.append([KR, backfill], name="more.jsonl").code == 0
    got = workspace.rows(
        "select event_id, sequence_no, recorded_at from okr_events order by sequence_no"
    )
    assert [r["sequence_no"] for r in got] == [1, 2, 3]
    assert got[0]["recorded_at"] >= before  # assigned at append
    assert got[2]["recorded_at"] == datetime(2026, 7, 4, 8, 30)  # supplied, converted to UTC


def test_stdin_bom_and_crlf(workspace: Workspace) -> None:
    run = workspace.okr("append", "-", stdin=json.dumps(OBJ) + "\n")
    assert run.code == 0 and "1 accepted" in run.out
    path = workspace.folder / "windows.jsonl"
    path.write_bytes(("\ufeff" + json.dumps(KR) + "\r\n").encode("utf-8"))
    run = workspace.okr("append", str(path))
    assert run.code == 0 and "1 accepted" in run.out
    old_mac = workspace.folder / "classic-mac.jsonl"  # lines ended by a lone CR
    checks = [event(f"cr{n}", "key_result_checked_in", "kr1", "2026-07-02T09:00:00Z", {"value": n})
              for n in range(2)]  # fmt: skip
    old_mac.write_bytes("".join(json.dumps(c) + "\r" for c in checks).encode("utf-8"))
    run = workspace.okr("append", str(old_mac))
    assert run.code == 0 and "2 events in: 2 accepted" in run.out


def test_a_missing_file_fails_before_anything_is_stored(workspace: Workspace) -> None:
    good = write_jsonl(workspace.folder / "good.jsonl", [OBJ])
    run = workspace.okr("append", str(good), "missing.jsonl")
    assert run.code == 1
    assert run.err.strip() == "okr: error: missing.jsonl: no such file"
    workspace.okr("init")
    assert workspace.rows("select count(*) as n from okr_events")[0]["n"] == 0


LINES = 10_000


@pytest.mark.parametrize("command", ["append", "ingest"])
def test_a_line_that_is_not_utf8_is_rejected_alone(workspace: Workspace, command: str) -> None:
    """One Latin-1 byte on the last of 10,000 lines: that line is rejected, with its line
    number and the byte's place in the file; the other lines are stored."""
    if command == "append":
        lines = [
            json.dumps(
                event(f"c{n}", "key_result_checked_in", "kr1", "2026-07-02T09:00:00Z", {"value": n})
            )
            for n in range(LINES - 1)
        ]
        checked_in = event(
            "café", "key_result_checked_in", "kr1", "2026-07-02T09:00:00Z", {"value": 1}
        )
        last = json.dumps(checked_in, ensure_ascii=False)
        suffix, table = ".jsonl", "okr_events"
    else:
        lines = ["client_id,kpi_id,observed_at,value"] + [
            f"acme,visits,2026-07-02T09:00:00Z,{n}" for n in range(LINES - 2)
        ]
        last = "acme,visités,2026-07-03T09:00:00Z,1"
        suffix, table = ".csv", "okr_observations"
    body = "".join(line + "\n" for line in lines).encode("utf-8")
    bad = last.encode("latin-1")
    path = workspace.folder / f"export{suffix}"
    path.write_bytes(body + bad + b"\n")
    position = len(body) + bad.index(b"\xe9") + 1  # the bad byte, counted from 1
    run = workspace.okr(command, str(path))
    assert run.code == 3, run.err
    stored = LINES - 1 if command == "append" else LINES - 2  # a CSV's first line is its header
    assert run.out.startswith(f"{stored + 1} ")
    assert f"{stored} accepted, 0 duplicate, 1 rejected" in run.out
    assert f"export{suffix}:{LINES}: not UTF-8 text: byte 0xe9 (byte {position:,} of" in run.out
    assert workspace.rows(f"select count(*) as n from {table}")[0]["n"] == stored
    kept = workspace.rows("select line_no, raw_text from okr_rejected_events")
    assert kept == [{"line_no": LINES, "raw_text": last.replace("é", "\\xe9")}]


def test_a_csv_record_spanning_a_line_that_is_not_utf8_is_rejected(
    duckdb_workspace: Workspace,
) -> None:
    """A quoted field that runs over two lines, the second with a Latin-1 byte: the whole
    record is rejected, not stored cut short; the records around it are kept or rejected on
    their own."""
    path = duckdb_workspace.folder / "quoted.csv"
    path.write_bytes(
        b"client_id,kpi_id,observed_at,value,source\n"
        b'acme,k1,2026-01-01T00:00:00Z,1,"web\nsite \xe9"\n'
        b"acme,k2,2026-01-02T00:00:00Z,2,ga4\n"
        b"acme,k3,2026-01-03T00:00:00Z,3,g\xe9a\n"
    )
    run = duckdb_workspace.okr("ingest", str(path))
    assert run.code == 3 and "1 accepted, 0 duplicate, 2 rejected" in run.out, run.out
    stored = duckdb_workspace.rows("select kpi_id, source from okr_observations")
    assert stored == [{"kpi_id": "k2", "source": "ga4"}]
    rejected = duckdb_workspace.rows("select raw_text, reason from okr_rejected_events")
    reasons = {("k1" if "k1" in r["raw_text"] else "k3"): r["reason"] for r in rejected}
    assert reasons["k1"].startswith("holds the \\xNN marks of a line that is not UTF-8")
    # k3 is on line 5; the record over two lines before it makes DuckDB's count say 4
    assert reasons["k3"].startswith("line 5 is not UTF-8 text: byte 0xe9 (byte 154 of the file")


def test_payload_text_is_stored_as_written(workspace: Workspace) -> None:
    """Polish letters stay letters in okr_events.payload; the content hash is the same whether
    the file writes them as letters or as \\u escapes (the second append is a duplicate)."""
    title = "Zażółć gęślą jaźń"
    objective = event(
        "pl-1",
        "objective_created",
        "o-pl",
        "2026-07-01T00:00:00Z",
        {"title": title, "level": "team", "period": "2026-Q3"},
    )
    letters = workspace.folder / "letters.jsonl"
    letters.write_text(json.dumps(objective, ensure_ascii=False) + "\n", encoding="utf-8")
    escaped = write_jsonl(workspace.folder / "escaped.jsonl", [objective])
    assert "\\u017c" in escaped.read_text()
    assert workspace.okr("append", str(letters)).code == 0
    again = workspace.okr("append", str(escaped))
    assert again.code == 0 and "0 accepted, 1 duplicate" in again.out
    text = "cast(payload as varchar)" if workspace.kind == "duckdb" else "payload::text"
    stored = workspace.rows(f"select {text} as payload from okr_events")[0]["payload"]
    assert title in stored and "\\u" not in stored
    assert json.loads(stored)["title"] == title


def test_usage_errors_exit_2_without_traceback(workspace: Workspace) -> None:
    unknown = workspace.okr("frobnicate")
    assert unknown.code == 2 and "invalid choice: 'frobnicate'" in unknown.err
    bad_date = workspace.okr("build", "--as-of", "15/08/2026")
    assert bad_date.code == 2 and "--as-of must be a date like 2026-08-15" in bad_date.err
    bad_port = workspace.okr("spark", "start", "--port", "x")
    assert bad_port.code == 2 and "invalid int value: 'x'" in bad_port.err
    bad_conf = workspace.okr("spark", "start", "--conf", "spark.driver.memory")
    assert bad_conf.code == 2 and "--conf must be a Spark setting KEY=VALUE" in bad_conf.err
    for run in (unknown, bad_date, bad_port, bad_conf):
        no_traceback(run.err)
        assert len(run.err.strip().splitlines()) == 1


def test_a_locked_warehouse_gives_one_line(duckdb_workspace: Workspace) -> None:
    workspace = duckdb_workspace
    workspace.okr("init")
    holder = duckdb.connect(str(workspace.folder / "okr.duckdb"))  # another process's writer
    try:  # okr in a process of its own, as it meets the lock
        events = write_jsonl(workspace.folder / "events.jsonl", [OBJ])
        run = run_okr("append", str(events), "--warehouse", workspace.url, cwd=workspace.folder)
    finally:
        holder.close()
    assert run.code == 1
    assert "is in use by another process" in run.err
    assert len(run.err.strip().splitlines()) == 1
    no_traceback(run.err)


def test_init_twice_changes_nothing(workspace: Workspace) -> None:
    assert workspace.okr("init").code == 0
    assert workspace.append([OBJ]).code == 0
    assert workspace.okr("init").code == 0
    assert workspace.rows("select count(*) as n from okr_events")[0]["n"] == 1


def test_scorecard_before_build_says_what_to_do(workspace: Workspace) -> None:
    workspace.okr("init")
    run = workspace.okr("scorecard")
    assert run.code == 1 and "run `okr build` first" in run.err


def test_warehouse_from_environment_then_default(tmp_path: Path) -> None:
    target = tmp_path / "env.duckdb"
    run = run_okr("init", cwd=tmp_path, env={"OKR_WAREHOUSE": str(target)})
    assert run.code == 0 and target.exists()
    run = run_okr("init", cwd=tmp_path)
    assert run.code == 0 and (tmp_path / "okr.duckdb").exists()


def test_a_batch_is_one_transaction(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    url = workspace.url
    lines = [Line("a.jsonl", 1, json.dumps(OBJ)), Line("a.jsonl", 2, "bad")]

    def crash(*args: object) -> None:
        raise sa.exc.OperationalError("insert", {}, Exception("disk full"))

    with Store(url) as store:
        monkeypatch.setattr(Store, "_record_rejections", staticmethod(crash))
        with pytest.raises(Exception, match="disk full"):
            store.append(lines)
        monkeypatch.undo()
        assert store.query("select count(*) from okr_events")[0][0] == 0
        result = store.append(lines)
        assert (result.accepted, result.rejected) == (1, 1)


def test_the_command_works_from_any_folder_with_the_packaged_project(tmp_path: Path) -> None:
    import okr_plugin.resources as resources

    assert (resources.project_dir() / "dbt_project.yml").exists()
    assert "site-packages" in str(resources.project_dir())
    run = run_okr("--version", cwd=tmp_path)
    assert run.code == 0 and run.out.startswith("okr ")
