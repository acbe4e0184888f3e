"""The figures of the README's Reliability section, from one run of the hostile-input and fault
tests (tests/test_hostile.py, tests/test_faults.py): each test records what it fed the store or
which fault it injected as a test property, and this script sums them.

    .venv/bin/python bench/reliability.py

The figures are those of a passing run only: every test asserts that no row was lost, so a run
that passes lost none.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["tests/test_hostile.py", "tests/test_faults.py"]


def recorded(report: Path) -> Counter[str]:
    """The sum of every property the tests recorded, by name."""
    totals: Counter[str] = Counter()
    for prop in ElementTree.parse(report).iter("property"):
        totals[prop.get("name", "")] += int(prop.get("value", "0"))
    return totals


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.xml"
        run = subprocess.run(
            [sys.executable, "-m", "pytest", *MODULES, "-q", f"--junitxml={report}"], cwd=ROOT
        )
        if run.returncode != 0:
            print("reliability: a test failed, so there are no figures", file=sys.stderr)
            return 1
        totals = recorded(report)
    print(
        f"hostile JSON lines and CSV rows: {totals['inputs']} in, {totals['accepted']} accepted,"
        f" {totals['duplicates']} duplicates, {totals['rejected']} rejected"
    )
    print(
        f"faults: {totals['kills']} processes killed, {totals['locks']} locks met,"
        f" {totals['server_stops']} servers stopped under a command; rows lost: 0"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
