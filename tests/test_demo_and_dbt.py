"""The demo (the article's SaaS client) and the dbt unit tests of the scoring rules."""

from __future__ import annotations

import pytest

from okr_plugin.build import DbtProject

from conftest import Workspace, by_id


def test_demo_prints_the_article_example(duckdb_workspace: Workspace) -> None:
    run = duckdb_workspace.okr("demo")
    assert run.code == 0, run.err
    out = run.out
    assert "28 events in: 28 accepted, 0 duplicate, 0 rejected" in out
    # 51 days (1 July - 20 August) x (us, de, blog) + 4 review counts = 157
    assert "157 observations in: 157 accepted, 0 duplicate, 0 rejected" in out
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
    kr = by_id(duckdb_workspace.rows("select * from okr_key_results"), "key_result_id")
    # kpi-visitors, us + de a day: July 30 x (400 + 200) + (500 + 250) = 18,750;
    # 1-15 August 15 x (250 + 150) = 6,000 (16-20 August are after the as-of date).
    # 10,000 visits a month: August so far, 6,000 -> 0.60 mid-month; 15 of 31 days elapsed.
    assert (kr["kr-traffic"]["current_value"], kr["kr-traffic"]["value_source"]) == (6000, "kpi")
    assert kr["kr-traffic"]["score"] == pytest.approx(0.60)
    assert kr["kr-traffic"]["expected_progress"] == pytest.approx(15 / 31)
    # 55,000 visits by quarter end: 18,750 + 6,000 = 24,750 -> 0.45
    assert kr["kr-visits"]["current_value"] == 24750
    assert kr["kr-visits"]["score"] == pytest.approx(0.45)
    # 600 trials against the target re-set to 1,200 on 12 August: 0.5
    assert (kr["kr-trials"]["target_value"], kr["kr-trials"]["score"]) == (1200, 0.5)
    # reviews, latest total: 1,090 on 13 August (1,110 on the 19th is later):
    # (1,090 - 1,000) / (1,200 - 1,000) = 0.45
    assert (kr["kr-reviews"]["current_value"], kr["kr-reviews"]["score"]) == (1090, 0.45)
    # 180 / 300 = 0.6 but confidence 0.3 < 0.5: at_risk
    assert (kr["kr-asks"]["score"], kr["kr-asks"]["health"]) == (0.6, "at_risk")
    # TikTok not launched yet: binary 0, on_track until done
    assert (kr["kr-tiktok"]["score"], kr["kr-tiktok"]["health"]) == (0.0, "on_track")
    obj = by_id(duckdb_workspace.rows("select * from okr_objectives"), "objective_id")
    # o-sales = (0 + 420 / 1000) / 2 = 0.21 -> red; 0.21 < 0.5 - 0.25 -> off_track
    assert obj["o-sales"]["score"] == pytest.approx(0.21)
    assert (obj["o-sales"]["grade"], obj["o-sales"]["health"]) == ("red", "off_track")
    # o-trials = (0.45 + 0.5 + 0.45 + o-sales 0.21 + o-reviews-ask 0.6) / 5 = 0.442
    assert obj["o-trials"]["score"] == pytest.approx(0.442)
    # o-revenue = (0.60 + 45,000 / 100,000 = 0.45) / 2 = 0.525 -> yellow
    assert obj["o-revenue"]["score"] == pytest.approx(0.525)
    # annual o-conversion = its quarterly child, (2.05 - 2.0) / (2.1 - 2.0) = 0.5; 2026 has 365
    # days, 227 elapsed by 15 August: expected 227 / 365 = 0.622; 0.5 < 0.522 -> at_risk.
    assert obj["o-conversion"]["score"] == pytest.approx(0.5)
    assert obj["o-conversion"]["expected_progress"] == pytest.approx(227 / 365)
    assert obj["o-conversion"]["health"] == "at_risk"
    kpis = by_id(duckdb_workspace.rows("select * from okr_kpis"), "kpi_id")
    # monthly target 10,000: August so far 6,000 -> attainment 0.6, not met (yet)
    visitors = kpis["kpi-visitors"]
    assert (visitors["status_value"], visitors["status"]) == (6000, "not_met")
    assert visitors["attainment"] == pytest.approx(0.6)

    again = duckdb_workspace.okr("demo")
    assert again.code == 0 and "0 accepted, 28 duplicate" in again.out
    assert "0 accepted, 157 duplicate" in again.out


def test_dbt_unit_tests_of_the_scoring_rules_pass(workspace: Workspace) -> None:
    # Unit tests read the column types of their inputs, so the models must exist first.
    assert workspace.okr("build").code == 0
    progress: list[str] = []
    DbtProject(workspace.url, progress.append).run("test", options=["--select", "test_type:unit"])
    # the ten unit tests in models/*/_okr__*.yml, all selected and all passing
    assert progress == ["  tests: 10 pass"]
