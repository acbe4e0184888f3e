"""Shared helpers: run the installed `okr` command against a real DuckDB file, read tables back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

OKR = str(Path(sys.executable).with_name("okr"))


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


def rows(warehouse: Path, sql: str) -> list[dict[str, Any]]:
    """Query the warehouse file read-only, rows as dicts."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        cursor = conn.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def by_id(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {record[key]: record for record in records}


@dataclass
class Workspace:
    """A folder with its own warehouse file; `okr` runs in it."""

    folder: Path

    @property
    def warehouse(self) -> Path:
        return self.folder / "okr.duckdb"

    def okr(self, *args: str, stdin: str | None = None) -> Run:
        return run_okr(*args, "--warehouse", str(self.warehouse), cwd=self.folder, stdin=stdin)

    def append(self, events: Iterable[dict[str, Any] | str], name: str = "events.jsonl") -> Run:
        return self.okr("append", str(write_jsonl(self.folder / name, events)))

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return rows(self.warehouse, sql)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture(scope="module")
def module_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("okr"))
