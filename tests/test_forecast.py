"""The forecast (docs/rules.md, Forecast) on the demo, on every warehouse: the worked example
of the rules, and odds that are the normal distribution's. The rules one by one are dbt unit
tests (models/intermediate/_okr__intermediate__unit_tests.yml); the daily forecasts against
`as_of` builds and the accuracy mart are in test_daily.py."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from conftest import Workspace, by_id

Z80 = 1.2815515655  # the 90th percentile of the normal distribution: an 80% band


def test_the_worked_example_of_the_rules(demo: Workspace) -> None:
    kr = by_id(demo.rows("select * from okr_key_results"), "key_result_id")["kr-visits"]
    # 55,000 visits by 30 September, as of 15 August: day 0 is 30 June (0 visits), n = 46 days
    # (1 July - 15 August), h = 46 days (16 August - 30 September). The daily values: 600 a day
    # to 18,000 on 30 July, 750 on the 31st (18,750), then 400 a day to 24,750.
    assert (kr["forecast_method"], kr["forecast_days"], kr["horizon_days"]) == ("drift", 46, 46)
    d = 24750 / 46  # 538.04 visits a day
    squared_steps = 30 * 600**2 + 750**2 + 15 * 400**2  # 13,762,500
    s2 = (squared_steps - 46 * d**2) / 45  # (13,762,500 - 13,316,576.09) / 45 = 9,909.42
    spread = math.sqrt(s2 * 46 * (1 + 46 / 46))  # 99.55 x sqrt(92) = 954.81
    assert kr["current_pace"] == pytest.approx(d)
    assert kr["projected_value"] == pytest.approx(24750 + 46 * d)  # 49,500
    assert kr["projected_value"] == pytest.approx(49500)
    assert kr["projected_value_low"] == pytest.approx(49500 - Z80 * spread)  # 48,276.36
    assert kr["projected_value_high"] == pytest.approx(49500 + Z80 * spread)  # 50,723.64
    assert kr["required_pace"] == pytest.approx((55000 - 24750) / 46)  # 657.61
    # 55,000 is (55,000 - 49,500) / 954.81 = 5.76 spreads away: P = 4.2e-9; green (0.7 x
    # 55,000 = 38,500) is 11.5 spreads below: beyond 8, 1.
    assert kr["probability_of_target"] == pytest.approx(0, abs=1e-7)
    assert kr["probability_of_green"] == 1
    # 49,500 / 55,000 = 0.9: green
    assert kr["projected_progress"] == pytest.approx(0.9)
    assert (kr["projected_score"], kr["projected_grade"]) == (pytest.approx(0.9), "green")


def test_odds_are_the_normal_distributions(demo: Workspace) -> None:
    rows = demo.rows(
        "select key_result_id, date_day, direction, start_value, target_value,"
        " projected_value, projected_value_high, probability_of_target, probability_of_green"
        " from okr_key_result_daily where forecast_method = 'drift'"
        " and projected_value_high > projected_value"
    )
    assert len(rows) > 50
    for row in rows:
        spread = (row["projected_value_high"] - row["projected_value"]) / Z80
        value = NormalDist(row["projected_value"], spread)
        assert row["direction"] == "increase"  # the demo's key results with a band
        green = row["start_value"] + 0.7 * (row["target_value"] - row["start_value"])
        for column, threshold in (
            ("probability_of_target", row["target_value"]),
            ("probability_of_green", green),
        ):
            z = (row["projected_value"] - threshold) / spread
            expected = 1.0 if z > 8 else 0.0 if z < -8 else 1 - value.cdf(threshold)
            # the polynomial's error is below 7.5e-8
            assert row[column] == pytest.approx(expected, abs=1e-7), (row, column)
