"""Work that must run in a child process of its own.

dbt-duckdb keeps its warehouse connection for the life of the process, and DuckDB allows one
writing process per file: run in the `okr` process, dbt would hold the file against everything
after it. So `okr` starts `python -m MODULE REQUEST ANSWER`; the child gets ready (imports,
parsing), waits for "go" on its standard input, does the work, writes its answer as JSON to the
file ANSWER and exits, freeing the file. While the child gets ready, the `okr` process may do
other work (the quality gate, while dbt parses the project); if that work fails, the child is
stopped before it touches the warehouse.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run_child(
    module: str,
    request: dict[str, Any],
    answer: Path,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[Any, int]:
    """Run `python -m module` on the request; return its answer (None if it wrote none, e.g.
    when it was killed) and its exit code. `meanwhile` runs in this process while the child
    gets ready; the child does its work only if `meanwhile` returns, and the exception of
    `meanwhile` propagates once the child has stopped."""
    answer.unlink(missing_ok=True)
    child = subprocess.Popen(
        [sys.executable, "-m", module, json.dumps(request), str(answer)], stdin=subprocess.PIPE
    )
    assert child.stdin is not None
    try:
        if meanwhile is not None:
            meanwhile()
        child.stdin.write(b"go\n")
    finally:
        child.stdin.close()  # without "go", the child stops before its work
        code = child.wait()
    found = json.loads(answer.read_text()) if answer.exists() else None
    return found, code


def serve(
    work: Callable[[dict[str, Any], Any], dict[str, Any]],
    ready: Callable[[dict[str, Any]], Any] = lambda request: None,
) -> None:
    """The child's side of run_child: get ready (what `ready` returns goes to `work`), wait for
    the parent's "go", then answer the request given on the command line."""
    request, answer = json.loads(sys.argv[1]), Path(sys.argv[2])
    prepared = ready(request)
    if sys.stdin.readline().strip() != "go":
        return  # the parent's work failed: nothing to do
    answer.write_text(json.dumps(work(request, prepared)))
