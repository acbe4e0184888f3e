"""Work that must run in a child process of its own.

dbt-duckdb and Great Expectations keep their warehouse connections for the life of the process,
and DuckDB allows one writing process per file: run in the `okr` process, they would hold the
file against everything after them. So `okr` starts `python -m MODULE REQUEST ANSWER`; the
child does the work, writes its answer as JSON to the file ANSWER and exits, freeing the file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run_child(module: str, request: dict[str, Any], answer: Path) -> tuple[Any, int]:
    """Run `python -m module` on the request; return its answer (None if it wrote none, e.g.
    when it was killed) and its exit code."""
    answer.unlink(missing_ok=True)
    child = subprocess.run(
        [sys.executable, "-m", module, json.dumps(request), str(answer)], check=False
    )
    found = json.loads(answer.read_text()) if answer.exists() else None
    return found, child.returncode


def serve(work: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """The child's side of run_child: answer the request given on the command line."""
    request, answer = json.loads(sys.argv[1]), Path(sys.argv[2])
    answer.write_text(json.dumps(work(request)))
