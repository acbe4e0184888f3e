"""The demo (the article's SaaS client) and the dbt unit tests of the scoring rules."""

from __future__ import annotations

import pytest

from okr_plugin.build import DbtProject

from conftest import Workspace, by_id


def test_demo_prints_the_article_example(workspace: Workspace) -> None:
    run = workspace.okr("demo")
    assert run.code == 0, run.err
    out = run.out
    assert "32 events in: 32 accepted, 0 duplicate, 0 rejected" in out
    for title in (
        "Scale aggressively: 500 new free trials a month",
        "55,000 free visits from target countries by quarter end",
        "1,500 new trials through the product-marketing funnel",
        "200 more positive reviews",
        "Launch the brand on TikTok before month end",
        "Grow site traffic to 10,000 visits a month",
    ):
        assert title[:50] in out
    assert "as of 2026-08-15" in out
    assert "building" in run.err and "model okr_objectives" in run.err  # progress

    # Worked by hand (as of the end of 15 August 2026; Q3 expected progress 46 / 92 = 0.5):
    kr = by_id(workspace.rows("select * from okr_key_results"), "key_result_id")
    # 6,000 of 10,000 visits mid-month: 0.60 (the 8,000 of the 20th is not visible yet);
    # August has 31 days, 15 elapsed: expected 15 / 31.
    assert kr["kr-traffic"]["score"] == pytest.approx(0.60)
    assert kr["kr-traffic"]["expected_progress"] == pytest.approx(15 / 31)
    # 24,750 / 55,000 = 0.45
    assert kr["kr-visits"]["score"] == pytest.approx(0.45)
    # 600 trials against the target re-set to 1,200 on 12 August: 0.5
    assert (kr["kr-trials"]["target_value"], kr["kr-trials"]["score"]) == (1200, 0.5)
    # 90 / 200 = 0.45 but confidence 0.4 < 0.5: at_risk
    assert (kr["kr-reviews"]["score"], kr["kr-reviews"]["health"]) == (0.45, "at_risk")
    # TikTok not launched yet: binary 0, on_track until done
    assert (kr["kr-tiktok"]["score"], kr["kr-tiktok"]["health"]) == (0.0, "on_track")
    obj = by_id(workspace.rows("select * from okr_objectives"), "objective_id")
    # o-sales = (0 + 420 / 1000) / 2 = 0.21 -> red; 0.21 < 0.5 - 0.25 -> off_track
    assert obj["o-sales"]["score"] == pytest.approx(0.21)
    assert (obj["o-sales"]["grade"], obj["o-sales"]["health"]) == ("red", "off_track")
    # o-trials = (0.45 + 0.5 + 0.45 + o-sales 0.21 + o-reviews-ask 180 / 300 = 0.6) / 5 = 0.442
    assert obj["o-trials"]["score"] == pytest.approx(0.442)
    # o-revenue = (0.60 + 45,000 / 100,000 = 0.45) / 2 = 0.525 -> yellow
    assert obj["o-revenue"]["score"] == pytest.approx(0.525)
    # annual o-conversion = its quarterly child, (2.05 - 2.0) / (2.1 - 2.0) = 0.5; 2026 has 365
    # days, 227 elapsed by 15 August: expected 227 / 365 = 0.622; 0.5 < 0.522 -> at_risk.
    assert obj["o-conversion"]["score"] == pytest.approx(0.5)
    assert obj["o-conversion"]["expected_progress"] == pytest.approx(227 / 365)
    assert obj["o-conversion"]["health"] == "at_risk"

    again = workspace.okr("demo")
    assert again.code == 0 and "0 accepted, 32 duplicate" in again.out


def test_dbt_unit_tests_of_the_scoring_rules_pass(
    workspace: Workspace, capfd: pytest.CaptureFixture[str]
) -> None:
    # Unit tests read the column types of their inputs, so the models must exist first.
    assert workspace.okr("build").code == 0
    DbtProject(workspace.url).run("test", options=["--select", "test_type:unit"])
    # the six unit tests in models/*/_okr__*.yml, all selected and all passing
    progress = capfd.readouterr().err
    assert "  tests: 6 pass\n" in progress
