"""The dashboards in a real Superset 6.1: imported from `okr bi superset`, queried through its
REST API on the published DuckDB snapshot and on PostgreSQL, opened in headless Chromium, and
read while `okr append` and `okr build --publish` run.

Each chart's answer is compared with the question behind it (bi/sql) run on the warehouse by
the test itself: a raw table must return exactly the question's rows, an aggregate chart the
question's rows grouped the same way. Hand-worked figures of the demo pin a few of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from superset import SupersetServer

from okr_plugin.dashboards import Sources, question_sql

from conftest import Workspace, event, new_workspace, query

DEMO_CLIENT = "saas-demo"
EXPECTED_DASHBOARDS = {"okr-scorecard", "okr-burn-up", "okr-kpi-trends", "okr-what-changed"}


@pytest.fixture(scope="module")
def superset(duckdb_demo: tuple[Workspace, Path]) -> Iterator[SupersetServer]:
    """A Superset into which `superset import-dashboards` brought the demo's bundle: on an
    empty Superset it creates every database, dataset, chart and dashboard. Each test imports
    the bundle it needs first (another may have repointed the database)."""
    server = SupersetServer().start()
    try:
        server.import_bundle(duckdb_demo[1])
        assert counts(server) == source_counts()
        yield server
    finally:
        server.stop()


def _demo(ws: Workspace) -> Path:
    """The demo built in `ws`, published on DuckDB, and its Superset bundle."""
    assert ws.okr("demo").code == 0
    assert ws.okr("publish").code == 0
    bundle = ws.folder / "bundle.zip"
    run = ws.okr("bi", "superset", "--out", str(bundle))
    assert run.code == 0, run.err
    return bundle


@pytest.fixture(scope="module")
def duckdb_demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workspace, Path]:
    ws = new_workspace("duckdb", tmp_path_factory.mktemp("superset-duckdb"), request)
    return ws, _demo(ws)


def snapshot_url(ws: Workspace) -> str:
    return f"duckdb:///{ws.folder / 'okr.published.duckdb'}"


# -- what a chart should answer --------------------------------------------------------------


def normal(value: Any) -> Any:
    """A value as Superset's JSON carries it: dates and times as UTC epoch milliseconds,
    numbers rounded past float noise."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return round(moment.timestamp() * 1000)
    if isinstance(value, date):
        return normal(datetime(value.year, value.month, value.day))
    if isinstance(value, float):
        return round(value, 9)
    return value


def expected_rows(chart: dict[str, Any], rows: list[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    """What a chart source asks of its question's rows, worked out here in Python."""
    for column, operator, value in chart.get("filters", []):
        assert operator == "=="
        rows = [r for r in rows if r[column] == value]
    if chart["viz_type"] == "table":
        return Counter(tuple(normal(r[c]) for c in chart["columns"]) for r in rows)
    keys = ([chart["x_axis"]] if "x_axis" in chart else []) + chart["groupby"]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(normal(r[k]) for k in keys), []).append(r)
    answer: Counter[tuple[Any, ...]] = Counter()
    for key, members in groups.items():
        figures = []
        for metric in chart["metrics"]:
            if metric == "count":
                figures.append(len(members))
            else:
                assert metric.startswith("MAX(")
                column = metric[4:-1]
                values = [m[column] for m in members if m[column] is not None]  # as SQL's MAX
                figures.append(normal(max(values)) if values else None)
        answer[key + tuple(figures)] += 1
    return answer


def chart_rows(data: dict[str, Any]) -> Counter[tuple[Any, ...]]:
    result = data["result"][0]
    return Counter(tuple(normal(row[c]) for c in result["colnames"]) for row in result["data"])


def charts_by_name(server: SupersetServer) -> dict[str, dict[str, Any]]:
    """Every chart of the four dashboards, keyed by its source's name (found by uuid)."""
    uuids = {chart["uuid"]: name for name, chart in Sources.read().charts.items()}
    found = {}
    dashboards = server.get("/api/v1/dashboard/?q=(page_size:100)")["result"]
    assert {d["slug"] for d in dashboards} == EXPECTED_DASHBOARDS
    for dashboard in dashboards:
        for chart in server.get(f"/api/v1/dashboard/{dashboard['id']}/charts")["result"]:
            detail = server.get(f"/api/v1/chart/{chart['id']}")["result"]
            found[uuids[detail["uuid"]]] = {**chart, "id": chart["id"], "uuid": detail["uuid"]}
    assert set(found) == set(uuids.values()), "every chart is on a dashboard"
    return found


def check_every_chart(server: SupersetServer, warehouse_url: str) -> dict[str, Counter[Any]]:
    """Every chart of every dashboard returns data, equal to its question on the warehouse."""
    sources = Sources.read()
    answers = {}
    for name, chart in charts_by_name(server).items():
        status, data = server.request("GET", f"/api/v1/chart/{chart['id']}/data/?force=true")
        assert status == 200, f"{name}: {data}"
        got = chart_rows(data)
        assert sum(got.values()) > 0, f"{name} returned no rows"
        source = sources.charts[name]
        question = sources.datasets[source["dataset"]]["sql_file"].removesuffix(".sql")
        assert got == expected_rows(source, query(warehouse_url, question_sql(question))), name
        answers[name] = got
    return answers


def check_demo_figures(server: SupersetServer) -> None:
    """Hand-worked figures of the demo, as of 15 August 2026, through the objectives chart."""
    chart = charts_by_name(server)["objectives"]
    result = server.get(f"/api/v1/chart/{chart['id']}/data/?force=true")["result"][0]
    rows = result["data"]
    # alignment order: each company objective, then the objectives aligned beneath it
    assert [r["alignment_path"] for r in rows] == [
        "o-conversion",
        "o-conversion > o-conversion-q3",
        "o-revenue",
        "o-trials",
        "o-trials > o-reviews-ask",
        "o-trials > o-sales",
    ]
    score = {r["alignment_path"].split(" > ")[-1]: r["score"] for r in rows}
    assert score["o-sales"] == pytest.approx(0.21)  # (420 / 1,000 + TikTok 0) / 2
    assert score["o-reviews-ask"] == pytest.approx(0.6)  # 180 / 300
    # (visits 0.45 + trials 0.5 + reviews 0.45 + o-sales 0.21 + o-reviews-ask 0.6) / 5
    assert score["o-trials"] == pytest.approx(0.442)
    assert score["o-revenue"] == pytest.approx(0.525)  # (0.60 + 45,000 / 100,000) / 2
    health = {r["alignment_path"].split(" > ")[-1]: r["health"] for r in rows}
    assert health["o-sales"] == "off_track"  # 0.21 < 0.5 - 0.25
    # "Will we make it?": 55,000 visits, 24,750 by 15 August at 24,750 / 46 = 538.04 a day:
    # 24,750 + 46 x 538.04 = 49,500 by 30 September; it needs (55,000 - 24,750) / 46 = 657.61
    chart = charts_by_name(server)["will_we_make_it"]
    result = server.get(f"/api/v1/chart/{chart['id']}/data/?force=true")["result"][0]
    visits = {r["title"]: r for r in result["data"]}[
        "55,000 free visits from target countries by quarter end"
    ]
    assert visits["projected_value"] == pytest.approx(49500)
    assert visits["required_pace"] == pytest.approx(30250 / 46)
    assert visits["current_pace"] == pytest.approx(24750 / 46)
    # the binary TikTok launch has no forecast: not in the chart
    assert "Launch the brand on TikTok before month end" not in {r["title"] for r in result["data"]}


def source_counts() -> dict[str, int]:
    sources = Sources.read()
    return {
        "database": 1,
        "dataset": len(sources.datasets),
        "chart": len(sources.charts),
        "dashboard": len(sources.dashboards),
    }


def counts(server: SupersetServer) -> dict[str, int]:
    return {
        kind: server.get(f"/api/v1/{kind}/?q=(page_size:100)")["count"]
        for kind in ("database", "dataset", "chart", "dashboard")
    }


# -- the tests -------------------------------------------------------------------------------


def test_dashboards_on_the_published_duckdb_snapshot(
    superset: SupersetServer, duckdb_demo: tuple[Workspace, Path]
) -> None:
    ws, bundle = duckdb_demo
    superset.import_assets(bundle)
    check_every_chart(superset, snapshot_url(ws))
    check_demo_figures(superset)
    # importing again updates what is there (fixed uuids), never adds a copy
    superset.import_bundle(bundle)
    superset.import_assets(bundle)
    assert counts(superset) == source_counts()


def test_dashboards_on_postgresql(
    superset: SupersetServer, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    ws = new_workspace("postgres", tmp_path, request)
    assert ws.okr("demo").code == 0
    publish = ws.okr("publish")  # explains itself instead of failing
    assert publish.code == 0 and "MVCC" in publish.out
    bundle = tmp_path / "bundle.zip"
    assert ws.okr("bi", "superset", "--out", str(bundle)).code == 0
    # The same uuids as the DuckDB bundle: imported through the API (which, unlike the
    # import-dashboards command, overwrites the database too) it repoints every chart.
    superset.import_assets(bundle)
    assert counts(superset) == source_counts()
    database = superset.get("/api/v1/database/?q=(page_size:100)")["result"][0]
    assert database["backend"] == "postgresql"
    check_every_chart(superset, ws.url)
    check_demo_figures(superset)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def chromium(url: str, *args: str) -> str:
    """Headless Chromium on a page, after its charts had 25 s (virtual time) to draw."""
    assert Path(CHROMIUM).exists(), "Chromium is missing: apt-get install chromium (.ci/run does)"
    with tempfile.TemporaryDirectory(prefix="okr-chromium-") as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=25000",
                "--window-size=1600,2400",
                *args,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
    return done.stdout


def drawn(superset: SupersetServer, slug: str) -> tuple[int, int, int]:
    """A dashboard in headless Chromium: its chart frames, the charts drawn, the errors shown."""
    page = chromium(f"{superset.address}/superset/dashboard/{slug}/?standalone=1", "--dump-dom")
    frames = page.count('data-test="chart-grid-component"')
    return frames, page.count('data-test="slice-container"'), page.count('role="alert"')


def test_dashboards_in_a_browser(
    superset: SupersetServer, duckdb_demo: tuple[Workspace, Path], tmp_path: Path
) -> None:
    ws, bundle = duckdb_demo
    # The check can fail: a chart asking for a column its dataset lacks shows an error.
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(bundle) as good, zipfile.ZipFile(broken, "w") as bad:
        for item in good.namelist():
            text = good.read(item).decode()
            if item.endswith("charts/event_log.yaml"):
                text = text.replace("summary", "no_such_column")
            bad.writestr(item, text)
    superset.import_assets(broken)
    assert drawn(superset, "okr-what-changed") == (1, 0, 1)
    superset.import_assets(bundle)  # the real bundle, on the DuckDB snapshot
    for dashboard in Sources.read().dashboards.values():
        charts = sum(len(row) for row in dashboard["rows"])
        # every chart has its frame, drew its visualisation, and none shows an error
        assert drawn(superset, dashboard["slug"]) == (charts, charts, 0), dashboard["slug"]
    shot = tmp_path / "superset-scorecard.png"
    url = f"{superset.address}/superset/dashboard/okr-scorecard/?standalone=1"
    chromium(url, f"--screenshot={shot}")
    assert shot.stat().st_size > 20_000  # a drawn page, not a blank one
    if os.environ.get("OKR_SCREENSHOT_DIR"):  # how docs/superset-scorecard.png is made
        shutil.copy(shot, Path(os.environ["OKR_SCREENSHOT_DIR"]) / shot.name)


def test_charts_answer_while_builds_publish(
    superset: SupersetServer, duckdb_demo: tuple[Workspace, Path], tmp_path: Path
) -> None:
    """Superset reads the published snapshot while okr appends, builds and publishes: no chart
    request fails, and each answer is the old snapshot's or the new one's, never a mix. On a
    copy of the demo's warehouse: the build changes the figures the other tests check."""
    demo, _ = duckdb_demo
    for name in ("okr.duckdb", "okr.published.duckdb"):
        shutil.copy(demo.folder / name, tmp_path / name)
    ws = Workspace(tmp_path, f"duckdb:///{tmp_path / 'okr.duckdb'}", "duckdb")
    bundle = tmp_path / "bundle.zip"
    assert ws.okr("bi", "superset", "--out", str(bundle)).code == 0
    superset.import_assets(bundle)
    charts = charts_by_name(superset)
    paths = {name: f"/api/v1/chart/{c['id']}/data/?force=true" for name, c in charts.items()}
    old = {name: chart_rows(superset.get(path)) for name, path in paths.items()}
    answers: list[tuple[str, int, Any]] = []
    writer_done = threading.Event()

    def write() -> None:
        try:
            # 700 of 1,000 sales, checked in now: the build (as of now) changes every figure
            ws.append(
                [
                    event(
                        "superset-1",
                        "key_result_checked_in",
                        "kr-sales",
                        "2026-08-15T10:00:00Z",
                        {"value": 700},
                        client_id=DEMO_CLIENT,
                        recorded_at=None,
                    )
                ]
            )
            assert ws.okr("build", "--publish").code == 0
        finally:
            writer_done.set()

    writer = threading.Thread(target=write)
    writer.start()
    deadline = None
    while deadline is None or time.monotonic() < deadline:
        for name, path in paths.items():
            status, data = superset.request("GET", path)
            answers.append((name, status, chart_rows(data) if status == 200 else data))
        if writer_done.is_set() and deadline is None:
            deadline = time.monotonic() + 3  # a few more rounds on the new snapshot
    writer.join()
    new = {name: chart_rows(superset.get(path)) for name, path in paths.items()}
    failed = [(name, status, data) for name, status, data in answers if status != 200]
    assert not failed, failed[:3]
    assert old["objectives"] != new["objectives"]
    mixed = [name for name, _, rows in answers if rows not in (old[name], new[name])]
    assert not mixed, mixed[:3]
    seen_new = sum(rows == new[name] != old[name] for name, _, rows in answers)
    assert seen_new > 0
    print(
        f"{len(answers)} chart requests during append and build --publish: 0 failed,"
        f" {seen_new} answered from the new snapshot, the others from the old one"
    )


def bi_duckdb(server: SupersetServer, path: Path) -> subprocess.CompletedProcess[str]:
    """Open a DuckDB file with the DuckDB that Superset bundles (1.5) and count objectives."""
    script = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True);"
        " print(duckdb.__version__, c.execute('select count(*) from okr_objectives').fetchall())"
    )
    return subprocess.run(
        [str(server.venv / "bin" / "python"), "-c", script, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_duckdb_of_bi_tools_reads_warehouses_and_snapshots(
    superset: SupersetServer, duckdb_demo: tuple[Workspace, Path], tmp_path: Path
) -> None:
    ws, _ = duckdb_demo
    client_file = tmp_path / "saas-demo.duckdb"
    assert ws.okr("publish", "--client", "saas-demo", "--to", str(client_file)).code == 0
    for path in (ws.folder / "okr.duckdb", ws.folder / "okr.published.duckdb", client_file):
        opened = bi_duckdb(superset, path)
        assert opened.returncode == 0, opened.stderr
        assert opened.stdout.startswith("1.5.") and "[(6,)]" in opened.stdout
    # A warehouse created before, in DuckDB's newest storage version, keeps working, and its
    # published snapshot is readable all the same.
    newer = tmp_path / "newer.duckdb"
    duckdb.connect(str(newer)).close()
    old_ws = Workspace(tmp_path, f"duckdb:///{newer}", "duckdb")
    assert old_ws.okr("demo").code == 0
    assert "version" in bi_duckdb(superset, newer).stderr.lower()  # 1.5 cannot open it
    assert old_ws.okr("publish").code == 0
    assert bi_duckdb(superset, tmp_path / "newer.published.duckdb").returncode == 0
