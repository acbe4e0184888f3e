"""The models installed as a dbt package into someone else's dbt project, as the README says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from okr_plugin.backends import backend_for
from okr_plugin.resources import project_dir

from conftest import Workspace, by_id

DBT = str(Path(sys.executable).with_name("dbt"))


def test_host_project_builds_the_package(workspace: Workspace) -> None:
    # The events come from okr; the host project knows nothing else about okr_plugin.
    assert workspace.okr("demo").code == 0
    host = host_project(workspace)
    dbt(host, "deps")
    dbt(host, "build", "--exclude-resource-type", "unit_test")
    assert_host_build(workspace, host)


def host_project(workspace: Workspace) -> Path:
    """A dbt project of an agency that installs okr_plugin as a package, with a model of its
    own on okr_objectives and the package's generic tests planted to fail on another."""
    host = workspace.folder / "host"
    (host / "models").mkdir(parents=True)
    (host / "dbt_project.yml").write_text(
        json.dumps(
            {
                "name": "agency_reporting",
                "version": "1.0.0",
                "config-version": 2,
                "profile": "agency",
                # a host that needs no daily history switches it off
                "vars": {"okr_plugin": {"as_of": "2026-08-15", "okr_daily_history": False}},
            }
        )
    )
    (host / "packages.yml").write_text(json.dumps({"packages": [{"local": str(project_dir())}]}))
    (host / "models" / "client_health.sql").write_text(
        "select client_id, count(*) as objectives, avg(score) as average_score\n"
        "from {{ ref('okr_objectives') }}\ngroup by client_id\n"
    )
    # The package's generic tests on the host's own models, planted to fail (as warnings, so
    # the build passes and run_results.json says how many rows each test caught).
    (host / "models" / "planted.sql").write_text(
        "select * from (values\n"
        # a: the first window runs past the start of the next (1 row)
        "  ('a', cast('2026-07-01' as timestamp), cast('2026-07-05' as timestamp), 0.5),\n"
        "  ('a', cast('2026-07-03' as timestamp), cast(null as timestamp), 0.5),\n"
        # b: a zero-length window, then an open one: allowed
        "  ('b', cast('2026-07-01' as timestamp), cast('2026-07-01' as timestamp), 1.0),\n"
        # (okr_valid_rows: the key entity_id, valid_from repeated: 1 result; a score of 2: 1)
        "  ('b', cast('2026-07-01' as timestamp), cast(null as timestamp), 2.0),\n"
        # c: no score (okr_valid_rows: 1)
        "  ('c', cast('2026-07-01' as timestamp), cast(null as timestamp), null),\n"
        # d: open while a later window follows (1 row); an entity not accepted (okr_valid_rows:
        # 2, each row once, though its score 1.5 or -0.1 is out of range too)
        "  ('d', cast('2026-07-01' as timestamp), cast(null as timestamp), 1.5),\n"
        "  ('d', cast('2026-07-09' as timestamp), cast(null as timestamp), -0.1),\n"
        # O'Brien: an accepted value with an apostrophe (no result)
        '  ({{ dbt.string_literal(dbt.escape_single_quotes("O\'Brien")) }},'
        " cast('2026-07-01' as timestamp), cast(null as timestamp), 0.5)\n"
        ") as t(entity_id, valid_from, valid_to, score)\n"
    )
    (host / "models" / "planted.yml").write_text(
        json.dumps(
            {
                "version": 2,
                "models": [
                    {
                        "name": "planted",
                        "data_tests": [
                            {
                                "okr_plugin.okr_non_overlapping_windows": {
                                    "partition_by": ["entity_id"],
                                    "config": {"severity": "warn"},
                                }
                            },
                            {
                                "okr_plugin.okr_valid_rows": {
                                    "name": "planted_rules",
                                    "arguments": {
                                        "key": ["entity_id", "valid_from"],
                                        "not_null": ["score"],
                                        "accepted_values": {
                                            "entity_id": ["a", "b", "c", "O'Brien"]
                                        },
                                        "accepted_range": {"score": [0, 1]},
                                    },
                                    "config": {"severity": "warn"},
                                }
                            },
                        ],
                    }
                ],
            }
        )
    )
    profile = {
        "agency": {"target": "dev", "outputs": {"dev": backend_for(workspace.url).dbt_profile()}}
    }
    (host / "profiles.yml").write_text(json.dumps(profile))
    return host


def dbt(host: Path, *args: str, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(
        [DBT, *args, "--profiles-dir", str(host), "--no-send-anonymous-usage-stats"],
        cwd=host,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stdout[-3000:]


def assert_host_build(workspace: Workspace, host: Path) -> None:
    """The planted rows caught, the demo's numbers through the host's model, one slice."""
    results = json.loads((host / "target" / "run_results.json").read_text())["results"]
    caught = {
        r["unique_id"].split(".")[2]: (r["status"], r["failures"])
        for r in results
        if r["unique_id"].startswith("test.") and "planted" in r["unique_id"]
    }
    assert caught == {
        "okr_plugin_okr_non_overlapping_windows_planted_entity_id": ("warn", 2),
        "planted_rules": ("warn", 5),
    }
    # what each of okr_valid_rows' results names, from the query dbt ran
    (rules,) = (host / "target" / "compiled").rglob("planted_rules.sql")
    problems = Counter(r["problem"] for r in workspace.rows(rules.read_text()))
    assert problems == {
        "key repeated: entity_id, valid_from": 1,
        "score is null": 1,
        "entity_id is not one of a, b, c, O'Brien": 2,
        "score is outside [0, 1]": 1,
    }

    # The demo's numbers, worked out by hand in test_demo_and_dbt.py, through the host's model:
    # 6 objectives (o-trials, o-sales, o-reviews-ask, o-conversion, o-conversion-q3,
    # o-revenue); o-trials 0.442 among them.
    objectives = by_id(workspace.rows("select * from okr_objectives"), "objective_id")
    assert objectives["o-trials"]["score"] == pytest.approx(0.442)
    health = workspace.rows("select * from client_health")
    assert [(r["client_id"], r["objectives"]) for r in health] == [("saas-demo", 6)]
    # without daily history the replay has one slice, the current one, and no daily mart is built
    slices = workspace.rows("select * from int_okr__slices")
    assert [(str(r["date_day"]), r["is_current"]) for r in slices] == [("2026-08-15", True)]
    built = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")}
    assert "okr_objectives" in built
    assert not built & {"okr_key_result_daily", "okr_objective_daily", "okr_forecast_accuracy"}
    # and the forecast has no series: the projection from the start value and today's
    # (24,750 visits in 46 days: 24,750 + 46 x 24,750 / 46 = 49,500), no band, no odds
    visits = by_id(workspace.rows("select * from okr_key_results"), "key_result_id")["kr-visits"]
    assert visits["forecast_method"] == "no_daily_history"
    assert visits["projected_value"] == pytest.approx(49500)
    assert visits["current_pace"] == pytest.approx(24750 / 46)
    assert [visits[c] for c in ("projected_value_low", "probability_of_target")] == [None, None]
