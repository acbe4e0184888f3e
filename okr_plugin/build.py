"""Running the packaged dbt project against a warehouse through dbtRunner."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .backends import Backend, backend_for
from .child import Child, Say, serve
from .errors import OkrError
from .resources import mart_names, project_dir
from .settings import lock_timeout, work_dir
from .warehouse import display, is_locked, translate


class BuildError(OkrError):
    """dbt failed; the message carries dbt's own reason."""


class LockTimeout(BuildError):
    """dbt failed only because PostgreSQL's lock_timeout ran out on some tables."""


def _write_profile(backend: Backend, folder: Path) -> None:
    profile = {"okr_plugin": {"target": "okr", "outputs": {"okr": backend.dbt_profile()}}}
    # JSON is YAML; dbt reads it as profiles.yml. It may hold a password: owner only.
    path = folder / "profiles.yml"
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(json.dumps(profile, indent=2))


# dbt's process (see child.py): started by the first dbt command of this process, kept for the
# next ones. It closes its warehouse connections after each command, so the caller's own (the
# store, the scorecard) work again as soon as dbt is done.
DBT = Child("okr_plugin.build")


class DbtProject:
    """The packaged dbt project bound to one warehouse."""

    def __init__(self, url: str, progress: Say | None = None) -> None:
        """progress: where dbt's progress lines go (a line per model and seed built, per test
        that did not pass, and a count of the tests that did)."""
        self.url = url
        self.progress = progress
        self.backend = backend_for(url)
        self.folder = work_dir(url)

    def build(
        self,
        variables: dict[str, Any],
        options: Sequence[str] = (),
        before: Callable[[], None] | None = None,
    ) -> None:
        """dbt build; `before` (the quality gate) runs while dbt starts and parses the project,
        and if it raises, dbt builds nothing. A build that did not finish (it failed, or was
        killed) may have moved int_okr__slices' watermarks past days its daily marts never
        received: the next build forgets them first and slices every day again."""
        unfinished = self.folder / "build-unfinished"

        def ready() -> None:
            if before is not None:
                before()  # the gate, on every attempt: rows may have come in meanwhile
            if unfinished.exists():
                self.forget_slices()
            unfinished.touch()

        for attempt in range(1, LOCK_ATTEMPTS + 1):
            try:
                self.run("build", variables, options, ready)
                break
            except LockTimeout:
                holders = self.backend.lock_holders()
                if attempt == LOCK_ATTEMPTS:
                    raise BuildError(
                        f"dbt build on {display(self.url)} could not lock a mart within"
                        f" {lock_timeout():g} s, {LOCK_ATTEMPTS} times: {holders} (see"
                        " OKR_LOCK_TIMEOUT); the marts built meanwhile are new, the others as"
                        " before"
                    ) from None
                if self.progress is not None:
                    self.progress(
                        f"a mart is in use ({holders}); trying again ({attempt + 1} of"
                        f" {LOCK_ATTEMPTS})"
                    )
        unfinished.unlink()

    def forget_slices(self) -> None:
        """Drop int_okr__slices, so that the next build slices every day (its watermarks may
        have moved past days the daily marts never received)."""
        engine = self.backend.create_engine()
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("drop table if exists int_okr__slices"))
        except sa.exc.DBAPIError as err:
            raise translate(err, self.url) from None
        finally:
            engine.dispose()

    def run(
        self,
        command: str,
        variables: dict[str, Any] | None = None,
        options: Sequence[str] = (),
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        """Run one dbt command (build, test, ...) with extra dbt options such as --select;
        raise BuildError when it fails. `meanwhile` runs while dbt parses the project (see
        child.Child.run)."""
        _write_profile(self.backend, self.folder)
        request = {
            "folder": str(self.folder),
            "command": command,
            "variables": variables or {},
            "options": list(options),
            # this process's environment, as a child of its own would inherit it
            "environment": {**os.environ, **self.backend.dbt_environment()},
            "url": self.url,
        }
        outcome, code = DBT.run(request, meanwhile, self.progress)
        if outcome is None or not outcome["success"]:
            reason = outcome["reason"] if outcome else f"dbt stopped unexpectedly (exit {code})"
            if is_locked(Exception(reason)):
                raise translate(Exception(reason), self.url)
            failure = LockTimeout if outcome and outcome.get("lock_timeout") else BuildError
            raise failure(
                f"dbt {command} failed on {display(self.url)}: {reason} "
                f"(log: {self.folder / 'logs' / 'dbt.log'})"
            )


# Builds on PostgreSQL wait OKR_LOCK_TIMEOUT seconds for each table lock (a client reading a
# mart in a transaction left open holds up the swap of its new table), this many times.
LOCK_ATTEMPTS = 3


def _arguments(folder: Path, variables: dict[str, Any]) -> list[str]:
    """dbt's options for every command of a run: where the project, profile, target and logs
    are, the variables, and quiet progress (ours goes to standard error)."""
    return [
        "--project-dir",
        str(project_dir()),
        "--profiles-dir",
        str(folder),
        "--target-path",
        str(folder / "target"),
        "--log-path",
        str(folder / "logs"),
        "--vars",
        json.dumps(variables),
        "--log-level",
        "none",
        "--log-level-file",
        "info",
        "--no-use-colors",
        "--no-send-anonymous-usage-stats",
    ]


def _parse(request: dict[str, Any]) -> Any:
    """Parse the project (partially, from the last run's state): the manifest the command then
    runs on, or None if parsing failed (the command then parses again and reports why)."""
    os.environ.clear()
    os.environ.update(request["environment"])
    from dbt.cli.main import dbtRunner

    folder = Path(request["folder"])
    parsed = dbtRunner().invoke(["parse", *_arguments(folder, request["variables"])])
    return parsed.result if parsed.success else None


def _invoke(request: dict[str, Any], manifest: Any, say: Say) -> tuple[bool, str, bool]:
    """Run the dbt command in this process through dbtRunner, on the parsed manifest; progress
    lines go to `say`."""
    from dbt.cli.main import dbtRunner

    folder = Path(request["folder"])
    args = [
        request["command"],
        *_arguments(folder, request["variables"]),
        *request["options"],
    ]
    progress = _Progress(say)
    result = dbtRunner(manifest=manifest, callbacks=[progress]).invoke(args)
    progress.summarise()
    if result.success:
        return True, "", False
    reason = progress.failures[0] if progress.failures else str(result.exception or "see the log")
    if len(progress.failures) > 1:
        reason += f" (and {len(progress.failures) - 1} more)"
    # PostgreSQL's message for SQLSTATE 55P03 (in English, the server's default lc_messages)
    locked = bool(progress.failures) and all("lock timeout" in f for f in progress.failures)
    return False, _one_line(reason) + progress.marts_outcome(), locked


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return " ".join(lines)[:600]


class _Progress:
    """dbt's events as progress lines: a line per model or seed built and per test that did not
    pass, a count of the tests that did; failures (each naming its node) and what became of
    each mart kept for the error message."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.failures: list[str] = []
        self.tests: Counter[str] = Counter()
        self.marts: dict[str, str] = {}  # mart -> dbt's status for it
        self.mart_names = set(mart_names())
        self.lock = threading.Lock()  # dbt finishes nodes on several threads

    def __call__(self, event: Any) -> None:
        name = event.info.name
        with self.lock:
            if name == "NodeFinished":
                node = event.data.node_info
                is_test = node.resource_type in ("test", "unit_test")
                if is_test:
                    self.tests[node.node_status] += 1
                if not is_test or node.node_status not in ("pass", "skipped"):
                    self.say(f"  {node.node_status:>7}  {node.resource_type} {node.node_name}")
                if node.resource_type == "model" and node.node_name in self.mart_names:
                    self.marts[node.node_name] = node.node_status
                if node.node_status in ("error", "fail"):
                    message = event.data.run_result.message
                    self.failures.append(f"{node.resource_type} {node.node_name}: {message}")
            elif name in ("MainEncounteredError", "GenericExceptionOnRun"):
                self.failures.append(event.info.msg)

    def marts_outcome(self) -> str:
        """After a failed build: which marts dbt rebuilt and which kept the previous build's
        rows (a failed test skips the models downstream of the model it tests)."""
        rebuilt = sorted(m for m, status in self.marts.items() if status == "success")
        kept = sorted(m for m, status in self.marts.items() if status != "success")
        if not kept:
            return ""
        return (
            f"; rebuilt: {', '.join(rebuilt) or 'no mart'}"
            f"; kept the previous build's rows: {', '.join(kept)}"
        )

    def summarise(self) -> None:
        if self.tests:
            counts = ", ".join(f"{n} {status}" for status, n in sorted(self.tests.items()))
            self.say(f"  tests: {counts}")


def _serve(request: dict[str, Any], manifest: Any, say: Say) -> dict[str, Any]:
    try:
        success, reason, locked = _invoke(request, manifest, say)
    finally:
        backend_for(request["url"]).release_dbt_connections()
    return {"success": success, "reason": reason, "lock_timeout": locked}


if __name__ == "__main__":
    serve(_serve, _parse)  # dbt's process (DBT)
