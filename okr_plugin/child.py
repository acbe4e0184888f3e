"""Work that runs in a child process of okr's, which serves one request after another.

dbt-duckdb keeps its warehouse connection for the life of its process, and DuckDB allows one
writing process per file: run in the caller's process, dbt would hold the file against the
caller's own connections. So dbt runs in `python -m MODULE`, started on the first request and
kept for the later ones (a notebook's, an orchestrator worker's, the test suite's builds), which
then skip importing dbt and building its schemas again; the work closes its connections after
each request. The child stops when its standard input ends: when this process exits.

A request goes to the child as a line of JSON; the child gets ready (parses the project) and
waits for "go" or "skip": meanwhile this process may do other work (the quality gate, while dbt
parses), and if that work fails the child skips the request before it touches the warehouse.
The child answers with lines of JSON: progress lines, then the answer.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import IO, Any

Say = Callable[[str], None]


class Child:
    """`python -m module`, started on first use (again if it died), one request at a time."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.process: subprocess.Popen[str] | None = None
        self.lock = threading.Lock()
        atexit.register(self.stop)

    def run(
        self,
        request: dict[str, Any],
        meanwhile: Callable[[], None] | None = None,
        progress: Say | None = None,
    ) -> tuple[Any, int | None]:
        """Send the request; return the child's answer and None, or None and the child's exit
        code when it died first (it was killed, or crashed). `meanwhile` runs in this process
        while the child gets ready; its exception propagates once the child has skipped the
        request. Progress lines go to `progress`."""
        with self.lock:
            process = self._running()
            answered = False
            try:
                self._send(process, json.dumps(request))
                try:
                    if meanwhile is not None:
                        meanwhile()
                except BaseException:
                    self._send(process, "skip")
                    self._answer(process, progress)
                    answered = True
                    raise
                self._send(process, "go")
                found = self._answer(process, progress)
                answered = True
                return found
            finally:
                if not answered:  # interrupted mid-request: a child out of step is no use
                    self._end(process, kill=True)

    def stop(self) -> None:
        """End the child once it is idle; the next request starts another."""
        with self.lock:
            if self.process is not None:
                self._end(self.process, kill=False)

    def _running(self) -> subprocess.Popen[str]:
        if self.process is not None and self.process.poll() is not None:
            self._end(self.process, kill=False)  # it died while idle: its pipes go too
        if self.process is None:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        return self.process

    def _end(self, process: subprocess.Popen[str], kill: bool) -> None:
        if kill:
            process.kill()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                with suppress(BrokenPipeError):  # a dead child's unread request
                    stream.close()
        process.wait()
        self.process = None

    @staticmethod
    def _send(process: subprocess.Popen[str], line: str) -> None:
        assert process.stdin is not None
        try:
            process.stdin.write(line + "\n")
            process.stdin.flush()
        except BrokenPipeError:
            pass  # the child died: _answer says so

    def _answer(
        self, process: subprocess.Popen[str], progress: Say | None
    ) -> tuple[Any, int | None]:
        assert process.stdout is not None
        for line in process.stdout:
            message = json.loads(line)
            if "answer" in message:
                return message["answer"], None
            if progress is not None:
                progress(message["progress"])
        self._end(process, kill=False)
        return None, process.returncode


def serve(
    work: Callable[[dict[str, Any], Any, Say], dict[str, Any]],
    ready: Callable[[dict[str, Any]], Any] = lambda request: None,
) -> None:
    """The child's side of Child.run, until its standard input ends: for each request, get
    ready (what `ready` returns goes to `work`), wait for "go", then answer; on "skip", answer
    None."""
    answers: IO[str] = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever else is printed goes to standard error, not into the answers
    lock = threading.Lock()

    def send(message: dict[str, Any]) -> None:
        with lock:  # progress may come from several threads
            answers.write(json.dumps(message) + "\n")
            answers.flush()

    for line in sys.stdin:
        request = json.loads(line)
        prepared = ready(request)
        go = sys.stdin.readline().strip() == "go"
        answer = work(request, prepared, lambda text: send({"progress": text})) if go else None
        send({"answer": answer})
