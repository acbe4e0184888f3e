"""What BI tools read: `okr publish` snapshots, the questions in bi/sql, the Superset sources
and the bundle packed from them, the dbt exposures. (Superset itself: test_superset.py.)"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from okr_plugin.dashboards import Sources, question_sql
from okr_plugin.resources import mart_names

from conftest import Workspace, by_id, query

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = sorted(p.stem for p in (ROOT / "bi" / "sql").glob("*.sql"))


@pytest.mark.fast
def test_every_question_has_a_dataset_and_every_dataset_a_question() -> None:
    datasets = Sources.read().datasets
    assert sorted(d["sql_file"].removesuffix(".sql") for d in datasets.values()) == QUESTIONS
    assert sorted(datasets) == QUESTIONS


@pytest.mark.parametrize("name", QUESTIONS)
def test_question_runs_on_the_demo_with_its_dataset_columns(demo: Workspace, name: str) -> None:
    """Each question in bi/sql, as an analyst would paste it, runs on both warehouses; its
    columns are the Superset dataset's, in order (and on DuckDB, of the declared types)."""
    text = (ROOT / "bi" / "sql" / f"{name}.sql").read_text(encoding="utf-8")
    rows = query(demo.url, text)
    assert rows, f"{name} returned no rows on the demo"
    declared = {c.name: c.type for c in Sources.read().datasets[name]["columns"].values()}
    assert list(rows[0]) == list(declared)
    if demo.kind == "duckdb":
        path = demo.url.removeprefix("duckdb:///")
        with duckdb.connect(path, read_only=True) as duck:
            relation = duck.sql(text)
            types = dict(zip(relation.columns, [str(kind) for kind in relation.types], strict=True))
        assert types == declared


def test_questions_give_the_demo_figures(demo: Workspace) -> None:
    """Hand-worked figures of the demo (as of 15 August 2026) through the questions."""
    krs = by_id(query(demo.url, question_sql("key_results")), "key_result_id")
    # 18,750 visits in July + 6,000 in 1-15 August, from the KPI, against 55,000: 0.45
    visits = krs["kr-visits"]
    assert (visits["current_value"], visits["target_value"]) == (24750, 55000)
    assert (visits["value_source"], visits["score"], visits["period"]) == ("kpi", 0.45, "2026-Q3")
    # 180 of 300 asks, confidence 0.3 < 0.5: at risk
    assert (krs["kr-asks"]["confidence"], krs["kr-asks"]["health"]) == (0.3, "at_risk")
    trends = query(demo.url, question_sql("kpi_trends"))
    august = [
        r
        for r in trends
        if (r["kpi_id"], r["grain"], r["segment"]) == ("kpi-visitors", "month", "All segments")
        and str(r["period_start"]) == "2026-08-01"
    ]
    # August so far: 15 days x (250 + 150) = 6,000 against 10,000 a month; July had
    # 30 x (400 + 200) + (500 + 250) = 18,750: change (6,000 - 18,750) / 18,750 = -0.68
    assert [(r["value"], r["attainment"], r["period"]) for r in august] == [(6000, 0.6, "2026-Q3")]
    assert august[0]["change_rate"] == pytest.approx(-0.68)
    assert (august[0]["target_value"], august[0]["unit"]) == (10000, "visits")
    assert august[0]["period_label"] == "2026-08"
    events = query(demo.url, question_sql("event_log"))
    assert len(events) == 28  # every goal event of the demo file

    # Will we make it? (docs/rules.md's worked example): 24,750 + 46 x 538.04 = 49,500 by 30
    # September, band 49,500 -/+ 1,223.64, needs 30,250 / 46 = 657.61 a day; TikTok is binary
    forecasts = by_id(query(demo.url, question_sql("will_we_make_it")), "key_result_id")
    assert "kr-tiktok" not in forecasts
    visits = forecasts["kr-visits"]
    assert visits["projected_value"] == pytest.approx(49500)
    assert visits["required_pace"] == pytest.approx(30250 / 46)
    half = visits["projected_value_high"] - visits["projected_value"]
    assert half == pytest.approx(1223.64, abs=0.01)
    # the burn-up's forecast rows: from today's 0.45 on 15 August, no band yet, to 49,500 /
    # 55,000 = 0.9 on 30 September with the whole band; half-way (7 September, day 23 of 46)
    # the line is at 0.675 and the band sqrt(23 (1 + 23 / 46) / (46 (1 + 46 / 46))) = sqrt(0.375)
    # of its final width
    days = {
        str(r["date_day"]): r
        for r in query(demo.url, question_sql("key_result_daily"))
        if r["key_result_id"] == "kr-visits" and r["forecast_progress"] is not None
    }
    assert len(days) == 47  # 15 August to 30 September
    today, middle, due = days["2026-08-15"], days["2026-09-07"], days["2026-09-30"]
    assert today["forecast_low"] == today["forecast_progress"] == pytest.approx(0.45)
    assert middle["forecast_progress"] == pytest.approx(0.675)
    width = half / 55000 * 0.375**0.5
    assert middle["forecast_high"] - middle["forecast_progress"] == pytest.approx(width)
    assert due["forecast_progress"] == pytest.approx(0.9)
    assert due["forecast_low"] == pytest.approx((49500 - half) / 55000)
    assert due["expected_progress"] == pytest.approx(1.0)  # the whole window by then
    # the annotations in force on kr-visits, a row a day and one for the day after: GA4 on 1
    # July (2 rows), Facebook 3-9 August (8), the trade show 10-14 August (6)
    shaded = Counter(
        r["annotation"][:8]
        for r in query(demo.url, question_sql("key_result_daily"))
        if r["key_result_id"] == "kr-visits" and r["annotation_band"] == 1
    )
    assert shaded == {"GA4 migr": 2, "Facebook": 8, "Trade sh": 6}


def test_headline_gives_the_demo_figures(demo: Workspace) -> None:
    """The headline figures of saas-demo's 2026-Q3 as of 15 August, and a week before."""
    rows = [
        r
        for r in query(demo.url, question_sql("headline"))
        if (r["client_id"], r["period"], r["days_back"]) == ("saas-demo", "2026-Q3", 0)
    ]
    # As of 15 August (docs/rules.md, Headline figures): objectives o-trials 0.442, o-sales
    # 0.21, o-reviews-ask 0.6, o-conversion-q3 0.5: 1.752 / 4 = 0.438, 44%; 6 of 7 key results
    # on track (kr-asks at risk, confidence 0.3): 86%; 1 at risk or off track. On 8 August:
    # only kr-visits (21,950 / 55,000 = 0.399) and kr-reviews (30 / 200 = 0.15) had a value;
    # o-trials (0.399 + 0.15) / 5 = 0.110, the others 0: 0.110 / 4 = 3%; on track kr-visits
    # and kr-tiktok, 2 of 7: 29%; off track the other 5.
    assert [(r["figure"], r["now"], r["change"]) for r in rows] == [
        ("Average objective score", "44%", "+41 pts from 3%"),
        ("Key results on track", "86%", "+57 pts from 29%"),
        ("Key results at risk or off track", "1", "−4 from 5"),
    ]
    assert rows[0]["numerator"] == pytest.approx(1.752)
    # 2026-08, a tie: "$100,000 in sales this month" (0.6 + 45,000 / 100,000) / 2 = 0.525, 53%
    # (halves up, on PostgreSQL too); on 8 August its traffic key result had 8 x 400 = 3,200 of
    # 10,000 visits (0.32, on track against 8 / 31 = 0.258) and sales no check-in (0, off
    # track): (0.32 + 0) / 2 = 16%, 1 of 2 on track
    august = [
        (r["figure"], r["now"], r["change"])
        for r in query(demo.url, question_sql("headline"))
        if (r["client_id"], r["period"], r["days_back"]) == ("saas-demo", "2026-08", 0)
    ]
    assert august == [
        ("Average objective score", "53%", "+37 pts from 16%"),
        ("Key results on track", "100%", "+50 pts from 50%"),
        ("Key results at risk or off track", "0", "−1 from 1"),
    ]
    assert [(r["numerator"], r["denominator"]) for r in rows[1:]] == [(6, 7), (1, None)]
    assert str(rows[0]["date_day"]) == "2026-08-15"


@pytest.mark.fast
def test_sources_are_consistent() -> None:
    """Every chart sits on a dashboard; its dataset, columns and metrics exist; every filter
    column is in a dataset of its dashboard; every column and metric has a label; uuids are
    unique."""
    sources = Sources.read()
    placed = {
        name
        for dashboard in sources.dashboards.values()
        for row in dashboard["rows"]
        for name, _, _ in row
    }
    assert placed == set(sources.charts)
    for dashboard in sources.dashboards.values():
        assert sum(width for row in dashboard["rows"] for _, width, _ in row) == 12 * len(
            dashboard["rows"]
        )
        names = [name for row in dashboard["rows"] for name, _, _ in row]
        columns = {
            c for n in names for c in sources.datasets[sources.charts[n]["dataset"]]["columns"]
        }
        filters = [f if isinstance(f, str) else f["column"] for f in dashboard["filters"]]
        assert {"client_id", "period"} <= set(filters) <= columns
        for name in names:
            columns = sources.datasets[sources.charts[name]["dataset"]]["columns"]
            assert {"client_id", "period"} <= set(columns), f"{name}: the filters apply to it"
    for name, chart in sources.charts.items():
        dataset = sources.datasets[chart["dataset"]]
        used = (
            chart.get("columns", [])
            + chart.get("groupby", [])
            + chart.get("groupby_b", [])
            + [c for c, _ in chart.get("order_by", [])]
            + ([chart["x_axis"]] if "x_axis" in chart else [])
            + [c for c, _, _ in chart.get("filters", []) + chart.get("filters_b", [])]
        )
        assert set(used) <= set(dataset["columns"]) | set(dataset["added"]), name
        metrics = chart.get("metrics", []) + chart.get("metrics_b", [])
        assert set(metrics) <= {"count", *dataset["metrics"]}, name
    for dataset in sources.datasets.values():
        for column in [*dataset["columns"].values(), *dataset["metrics"].values()]:
            assert column.label and "_" not in column.label, column
    uuids = [sources.database["uuid"]] + [
        piece["uuid"]
        for kind in (sources.datasets, sources.charts, sources.dashboards)
        for piece in kind.values()
    ]
    assert len(uuids) == len(set(uuids))


def _bundle(ws: Workspace, *args: str) -> dict[str, Any]:
    out = ws.folder / "bundle.zip"
    run = ws.okr("bi", "superset", "--out", str(out), *args)
    assert run.code == 0, run.err
    with zipfile.ZipFile(out) as bundle:
        return {
            name.split("/", 1)[1]: yaml.safe_load(bundle.read(name)) for name in bundle.namelist()
        }


@pytest.mark.fast
def test_bundle_carries_what_superset_needs(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, f"duckdb:///{tmp_path / 'okr.duckdb'}", "duckdb")
    files = _bundle(ws)
    sources = Sources.read()
    database = files["databases/okr_plugin.yaml"]
    # the published snapshot beside the warehouse, by its absolute path, opened read-only
    assert database["sqlalchemy_uri"] == f"duckdb:///{tmp_path / 'okr.published.duckdb'}"
    assert database["extra"]["engine_params"] == {"connect_args": {"read_only": True}}
    other = _bundle(ws, "--snapshot", str(tmp_path / "bi" / "x.duckdb"))
    assert other["databases/okr_plugin.yaml"]["sqlalchemy_uri"].endswith("/bi/x.duckdb")
    charts = {k: v for k, v in files.items() if k.startswith("charts/")}
    assert len(charts) == len(sources.charts)
    for chart in charts.values():
        context = json.loads(chart["query_context"])
        assert chart["params"]["viz_type"] == chart["viz_type"]
        assert context["form_data"] == chart["params"] and context["queries"][0]["columns"]
    datasets = [v for k, v in files.items() if k.startswith("datasets/")]
    assert all(d["columns"] and d["sql"] and not d["sql"].startswith("--") for d in datasets)
    positions = [v["position"] for k, v in files.items() if k.startswith("dashboards/")]
    placed = [
        p["meta"]["uuid"]
        for pos in positions
        for p in pos.values()
        if "meta" in p and "uuid" in p.get("meta", {})
    ]
    assert set(placed) == {c["uuid"] for c in charts.values()}
    # what a client reads: labels, percentages, one colour per state on every dashboard
    objectives = files["datasets/okr_plugin/okr_bi_objectives.yaml"]
    labels = {c["column_name"]: c["verbose_name"] for c in objectives["columns"]}
    assert (labels["score"], labels["expected_progress"]) == ("Score", "Expected by now")
    table = files["charts/objectives.yaml"]["params"]
    assert table["column_config"]["score"] == {"d3NumberFormat": ".0%", "showCellBars": True}
    assert table["table_timestamp_format"] == "%-d %b %Y"  # 1 Aug 2026
    # green, yellow and red grades; on track, at risk and off track health
    colours = {"#1a7f37": ("Green", "On track"), "#d4a72c": ("Yellow", "At risk")}
    colours["#cf222e"] = ("Red", "Off track")
    rules = {
        (r["column"], r["targetValue"]): r["colorScheme"] for r in table["conditional_formatting"]
    }
    for colour, (grade, health) in colours.items():
        assert rules[("grade", grade)] == rules[("health", health)] == colour
    for dashboard in (v for k, v in files.items() if k.startswith("dashboards/")):
        labels = dashboard["metadata"]["label_colors"]
        for colour, states in colours.items():
            assert [labels[state] for state in states] == [colour, colour]


@pytest.mark.fast
def test_bundle_for_postgresql_holds_no_password(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    ws = Workspace(tmp_path, "postgresql://analyst:s3cret@db.example.com:5433/reporting", "pg")
    uri = _bundle(ws)["databases/okr_plugin.yaml"]["sqlalchemy_uri"]
    assert uri == "postgresql://analyst@db.example.com:5433/reporting"


@pytest.mark.fast
def test_exposures_name_the_marts_each_dashboard_reads() -> None:
    exposures = yaml.safe_load((ROOT / "models" / "marts" / "_okr__exposures.yml").read_text())
    refs = {
        e["url"].split("/")[-2]: sorted(re.findall(r"ref\('(\w+)'\)", " ".join(e["depends_on"])))
        for e in exposures["exposures"]
    }
    sources = Sources.read()
    read = {}
    for dashboard in sources.dashboards.values():
        tables: set[str] = set()
        for row in dashboard["rows"]:
            for name, _, _ in row:
                sql = question_sql(sources.charts[name]["dataset"])
                tables |= set(re.findall(r"(?:from|join)\s+(okr_\w+)", sql))
        read[dashboard["slug"]] = sorted(tables)
    assert refs == read


def test_publish_swaps_in_a_snapshot_of_the_marts(demo: Workspace) -> None:
    if demo.kind != "duckdb":
        run = demo.okr("publish")
        # PostgreSQL needs no snapshot: the command says why, and fails nothing
        assert run.code == 0 and "nothing to publish on PostgreSQL" in run.out
        assert "MVCC" in run.out
        return
    target = demo.folder / "bi" / "okr.duckdb"
    target.parent.mkdir()
    first = demo.okr("publish", "--to", str(target))
    assert first.code == 0, first.err
    assert first.out.startswith(f"published {len(mart_names())} marts (")
    inode = target.stat().st_ino
    with duckdb.connect(str(target), read_only=True) as duck:
        tables = duck.execute("select table_name from information_schema.tables").fetchall()
        objectives = duck.execute("select count(*) from okr_objectives").fetchall()
    assert sorted(t for (t,) in tables) == mart_names()  # the marts only: no event table
    assert objectives == [(6,)]
    assert not target.stat().st_mode & 0o222  # read-only
    again = demo.okr("publish", "--to", str(target))
    assert again.code == 0
    assert target.stat().st_ino != inode  # a new file renamed over the old one
    assert sorted(p.name for p in target.parent.iterdir()) == ["okr.duckdb"]  # nothing partial


@pytest.mark.fast
def test_publish_mistakes_are_one_line(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, f"duckdb:///{tmp_path / 'okr.duckdb'}", "duckdb")
    assert ws.okr("init").code == 0
    unbuilt = ws.okr("publish")
    assert unbuilt.code == 1
    assert unbuilt.err.strip().endswith("run okr build, then okr publish")
    assert not (tmp_path / "okr.published.duckdb").exists()
    itself = ws.okr("publish", "--to", str(tmp_path / "okr.duckdb"))
    assert itself.code == 1 and "is the warehouse itself" in itself.err
    nowhere = ws.okr("publish", "--to", str(tmp_path / "missing" / "x.duckdb"))
    assert nowhere.code == 1 and "does not exist" in nowhere.err
    for run in (unbuilt, itself, nowhere):
        assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err
