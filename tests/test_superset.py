"""The dashboards in a real Superset 6.1: imported from `okr bi superset`, queried through its
REST API on the published DuckDB snapshot and on PostgreSQL, opened in headless Chromium, and
read while `okr append` and `okr build --publish` run.

Each chart's answer is compared with the question behind it (bi/sql) run on the warehouse by
the test itself: a raw table must return exactly the question's rows, an aggregate chart the
question's rows grouped the same way. Hand-worked figures of the demo pin a few of them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from PIL import Image
from superset import SupersetServer

from okr_plugin.dashboards import Sources, dataset_sql

from conftest import Workspace, event, new_workspace, query

DEMO_CLIENT = "saas-demo"
EXPECTED_DASHBOARDS = {
    "okr-scorecard",
    "okr-burn-up",
    "okr-kpi-trends",
    "okr-what-changed",
    "okr-client-quarter",
}


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


def metric_value(expression: str, members: list[dict[str, Any]]) -> Any:
    """A saved metric's SQL worked out in Python: MAX(c), SUM(c) or SUM(a) / NULLIF(SUM(b), 0);
    nulls left out, as SQL's aggregates do."""

    def values(column: str) -> list[Any]:
        return [m[column] for m in members if m[column] is not None]

    def total(column: str) -> Any:
        return sum(values(column)) if values(column) else None

    if found := re.fullmatch(r"MAX\((\w+)\)", expression):
        return max(values(found[1])) if values(found[1]) else None
    if found := re.fullmatch(r"SUM\((\w+)\)", expression):
        return total(found[1])
    if found := re.fullmatch(r"SUM\((\w+)\) / NULLIF\(SUM\((\w+)\), 0\)", expression):
        over = total(found[2])
        return total(found[1]) / over if over else None
    raise AssertionError(f"no Python for the metric {expression}")


def filtered(specs: list[list[Any]], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for column, operator, value in specs:
        assert operator in ("==", "IS NOT NULL")
        rows = [
            r for r in rows if (r[column] == value if operator == "==" else r[column] is not None)
        ]
    return rows


def grouped(
    keys: list[str], metrics: list[str], dataset: dict[str, Any], rows: list[dict[str, Any]]
) -> Counter[tuple[Any, ...]]:
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(normal(r[k]) for k in keys), []).append(r)
    answer: Counter[tuple[Any, ...]] = Counter()
    for key, members in groups.items():
        figures = [
            len(members)
            if m == "count"
            else normal(metric_value(dataset["metrics"][m].type, members))
            for m in metrics
        ]
        answer[key + tuple(figures)] += 1
    return answer


def expected_rows(
    chart: dict[str, Any], dataset: dict[str, Any], rows: list[dict[str, Any]]
) -> list[Counter[tuple[Any, ...]]]:
    """What a chart source asks of its dataset's rows, query by query, worked out here."""
    rows = filtered(chart.get("filters", []), rows)
    if chart["viz_type"] == "table":
        return [Counter(tuple(normal(r[c]) for c in chart["columns"]) for r in rows)]
    axis = [chart["x_axis"]] if "x_axis" in chart else []
    answers = [grouped(axis + chart.get("groupby", []), chart["metrics"], dataset, rows)]
    if "metrics_b" in chart:
        second = filtered(chart.get("filters_b", []), rows)
        answers.append(grouped(axis + chart["groupby_b"], chart["metrics_b"], dataset, second))
    return answers


def chart_rows(data: dict[str, Any]) -> list[Counter[tuple[Any, ...]]]:
    return [
        Counter(tuple(normal(row[c]) for c in result["colnames"]) for row in result["data"])
        for result in data["result"]
    ]


def charts_by_name(server: SupersetServer) -> dict[str, dict[str, Any]]:
    """Every chart of the dashboards, keyed by its source's name (found by uuid)."""
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


def check_every_chart(server: SupersetServer, warehouse_url: str) -> dict[str, Any]:
    """Every chart of every dashboard returns data, equal to its dataset's SQL on the warehouse
    worked out in Python; the answers, by chart."""
    sources = Sources.read()
    dialect = warehouse_url.split(":", 1)[0].split("+", 1)[0]
    answers = {}
    for name, chart in charts_by_name(server).items():
        status, data = server.request("GET", f"/api/v1/chart/{chart['id']}/data/?force=true")
        assert status == 200, f"{name}: {data}"
        got = chart_rows(data)
        assert all(sum(answer.values()) > 0 for answer in got), f"{name} returned no rows"
        source = sources.charts[name]
        dataset = sources.datasets[source["dataset"]]
        rows = query(warehouse_url, dataset_sql(dataset, dialect))
        assert got == expected_rows(source, dataset, rows), name
        answers[name] = data["result"]
    return answers


def check_demo_figures(server: SupersetServer, answers: dict[str, Any]) -> None:
    """Hand-worked figures of the demo, as of 15 August 2026, as the charts answer them."""
    rows = answers["objectives"][0]["data"]
    # alignment order: each company objective, then the objectives aligned beneath it,
    # indented by two em spaces and an arrow
    assert [r["objective"] for r in rows] == [
        "+20% conversion rate by year end",
        "+5% conversion rate this quarter",  # its parent is of another period: not indented
        "$100,000 in sales this month",
        "Scale aggressively: 500 new free trials a month",
        "\u2003\u2003↳ Win reviews from happy customers",
        "\u2003\u2003↳ 1,000 sales this quarter",
    ]
    score = {r["objective"].split("↳ ")[-1]: r["score"] for r in rows}
    assert score["1,000 sales this quarter"] == pytest.approx(0.21)  # (420 / 1,000 + 0) / 2
    assert score["Win reviews from happy customers"] == pytest.approx(0.6)  # 180 / 300
    # (visits 0.45 + trials 0.5 + reviews 0.45 + o-sales 0.21 + o-reviews-ask 0.6) / 5
    assert score["Scale aggressively: 500 new free trials a month"] == pytest.approx(0.442)
    assert score["$100,000 in sales this month"] == pytest.approx(0.525)  # (0.6 + 0.45) / 2
    state = {r["objective"].split("↳ ")[-1]: (r["grade"], r["health"]) for r in rows}
    # 0.21 < 0.4 and < 0.5 - 0.25: a red grade, off track, in words
    assert state["1,000 sales this quarter"] == ("Red", "Off track")
    visits = {r["title"]: r for r in answers["key_results"][0]["data"]}[
        "55,000 free visits from target countries by quarter end"
    ]
    assert visits["now_target"] == "24,750 / 55,000 visits"
    # "Will we make it?": 55,000 visits, 24,750 by 15 August at 24,750 / 46 = 538.04 a day:
    # 24,750 + 46 x 538.04 = 49,500 by 30 September; it needs (55,000 - 24,750) / 46 = 657.61
    result = answers["will_we_make_it"][0]
    visits = {r["title"]: r for r in result["data"]}[
        "55,000 free visits from target countries by quarter end"
    ]
    assert visits["projected_value"] == pytest.approx(49500)
    assert visits["required_pace"] == pytest.approx(30250 / 46)
    assert visits["current_pace"] == pytest.approx(24750 / 46)
    # the binary TikTok launch has no forecast: not in the chart
    assert "Launch the brand on TikTok before month end" not in {r["title"] for r in result["data"]}
    # the burn-up's second query: the annotations in force on kr-visits, shaded from their
    # first day to the day after their last: Facebook 3 to 9 August, 8 days of 1 (100%)
    shaded = answers["burn_up"][1]
    facebook = sorted(
        row["date_day"]
        for row in shaded["data"]
        if row["annotation"].startswith("Facebook page change") and row["annotation_band"] == 1
    )
    assert facebook == [normal(date(2026, 8, day)) for day in range(3, 11)]


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
    check_demo_figures(superset, check_every_chart(superset, snapshot_url(ws)))
    # one colour per state, as Superset keeps them: each dashboard's label colours, the
    # objectives table's cells (green / on track, yellow / at risk, red / off track)
    colours = {"#1a7f37": ("Green", "On track"), "#d4a72c": ("Yellow", "At risk")}
    colours["#cf222e"] = ("Red", "Off track")
    for dashboard in superset.get("/api/v1/dashboard/?q=(page_size:100)")["result"]:
        metadata = superset.get(f"/api/v1/dashboard/{dashboard['id']}")["result"]
        labels = json.loads(metadata["json_metadata"])["label_colors"]
        for colour, states in colours.items():
            assert [labels[state] for state in states] == [colour, colour], dashboard["slug"]
    chart = charts_by_name(superset)["objectives"]
    params = json.loads(superset.get(f"/api/v1/chart/{chart['id']}")["result"]["params"])
    cells = {
        (r["column"], r["targetValue"]): r["colorScheme"] for r in params["conditional_formatting"]
    }
    for colour, (grade, health) in colours.items():
        assert cells[("grade", grade)] == cells[("health", health)] == colour
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
    check_demo_figures(superset, check_every_chart(superset, ws.url))


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


VISITS = "55,000 free visits from target countries by quarter end"


def dashboard_url(superset: SupersetServer, slug: str, key_result: str | None = None) -> str:
    """A dashboard on its own; with `key_result`, its key-result filter set to that one (the
    filter state a shared link carries, in Superset's rison)."""
    url = f"{superset.address}/superset/dashboard/{slug}/?standalone=1"
    if key_result is None:
        return url
    quoted = "'" + key_result.replace("!", "!!").replace("'", "!'") + "'"
    state = (
        "('NATIVE_FILTER-key_result':(id:'NATIVE_FILTER-key_result',"
        f"extraFormData:(filters:!((col:key_result,op:IN,val:!({quoted})))),"
        f"filterState:(value:!({quoted}))))"
    )
    return f"{url}&native_filters={urllib.parse.quote(state)}"


def drawn(page: str) -> tuple[int, int, int]:
    """A dashboard's page as Chromium left it: its chart frames, the charts drawn, the errors
    shown."""
    frames = page.count('data-test="chart-grid-component"')
    return frames, page.count('data-test="slice-container"'), page.count('role="alert"')


def table_rows(page: str) -> list[list[str]]:
    """The cells' text of every table row on a page."""
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)
    ]


def pixels(shot: Path, colour: str) -> int:
    """How many pixels of a screenshot are exactly `colour` (#rrggbb)."""
    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    with Image.open(shot) as image:
        counts = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    return sum(count for count, pixel in counts if pixel == wanted)


def cropped(shot: Path, out: Path) -> None:
    """A screenshot without the empty page below the last chart (the filter bar runs to the
    bottom: only the columns right of it count)."""
    with Image.open(shot) as image:
        page = image.convert("RGB")
    width, height = page.size
    background = page.getpixel((width - 1, height - 1))
    last = max(
        (
            y
            for y in range(height)
            for x in range(width // 4, width, 8)
            if page.getpixel((x, y)) != background
        ),
        default=height - 1,
    )
    page.crop((0, 0, width, min(height, last + 24))).save(out)


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
    assert drawn(chromium(dashboard_url(superset, "okr-what-changed"), "--dump-dom")) == (1, 0, 1)
    superset.import_assets(bundle)  # the real bundle, on the DuckDB snapshot
    pages = {}
    for dashboard in Sources.read().dashboards.values():
        slug, charts = dashboard["slug"], sum(len(row) for row in dashboard["rows"])
        # the burn-ups on kr-visits, which has annotations to shade
        columns = [f["column"] if isinstance(f, dict) else f for f in dashboard["filters"]]
        chosen = VISITS if "key_result" in columns else None
        shot = tmp_path / f"superset-{slug.removeprefix('okr-')}.png"
        page = chromium(dashboard_url(superset, slug, chosen), "--dump-dom", f"--screenshot={shot}")
        # every chart has its frame, drew its visualisation, and none shows an error
        assert drawn(page) == (charts, charts, 0), slug
        assert shot.stat().st_size > 20_000  # a drawn page, not a blank one
        pages[slug] = page
        if os.environ.get("OKR_SCREENSHOT_DIR"):  # how docs/superset-*.png are made
            cropped(shot, Path(os.environ["OKR_SCREENSHOT_DIR"]) / shot.name)
    # Hand-worked figures as a client reads them. o-trials: (0.45 + 0.5 + 0.45 + 0.21 + 0.6) /
    # 5 = 0.442, 44%; kr-visits 24,750 of 55,000 visits.
    rows = table_rows(pages["okr-scorecard"])
    assert ["Scale aggressively: 500 new free trials a month", "anna", "Company"] in [
        r[:3] for r in rows if "44%" in r
    ]
    assert any(r[1:4] == [VISITS, "ben", "24,750 / 55,000 visits"] for r in rows)
    # (the indent's em spaces stripped) 0.21 < 0.4: red; < 0.5 - 0.25: off track
    assert [r for r in rows if r[:1] == ["↳ 1,000 sales this quarter"]][0][4:8] == [
        "21%",
        "Red",
        "50%",
        "Off track",
    ]
    # One client's period, the client and the latest period chosen on opening (saas-demo,
    # 2026-Q3), on both dashboards: the headline of docs/rules.md's worked example, 1.752 / 4 =
    # 44%, 6 of 7 on track = 86%, 1 at risk; a week before 3%, 29% and 5
    for slug in ("okr-scorecard", "okr-client-quarter"):
        figures = re.findall(r'class="header-line"[^>]*>([^<]*)<', pages[slug])
        assert figures == ["44%", "86%", "1"], slug
        assert [r for r in table_rows(pages[slug]) if len(r) == 2] == [
            ["Average objective score", "+41 pts from 3%"],
            ["Key results on track", "+57 pts from 29%"],
            ["Key results at risk or off track", "−4 from 5"],
        ], slug
    # the states' colours, drawn: the grade and health cells and the pies' slices
    shot = tmp_path / "superset-scorecard.png"
    for colour in ("#1a7f37", "#d4a72c", "#cf222e"):  # green / on track, yellow / at risk, red
        assert pixels(shot, colour) > 2_000, colour


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
