"""`okr report`: a self-contained HTML page for the client meeting, on the demo as of 15 August."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

from conftest import Workspace

SVG = "data:image/svg+xml;base64,"


class Page(HTMLParser):
    """The parts of the page a reader meets: headings, images, tags, text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []
        self.headings: list[str] = []
        self.text: list[str] = []
        self._heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "img":
            self.images.append(values.get("src") or "")
        self.links += [value or "" for name, value in attrs if name in ("href", "src")]
        self._heading = tag in ("h1", "h2", "h3")

    def handle_endtag(self, tag: str) -> None:
        self._heading = False

    def handle_data(self, data: str) -> None:
        if self._heading:
            self.headings.append(data.strip())
        self.text.append(data)


def test_report_is_a_readable_self_contained_page(demo: Workspace) -> None:
    out = demo.folder / "saas-q3.html"
    run = demo.okr("report", "--client", "saas-demo", "--period", "2026-Q3", "--out", str(out))
    assert run.code == 0, run.err
    # 7 key results under the four 2026-Q3 objectives, 3 KPIs observed in the quarter
    assert run.out.strip() == f"wrote {out}: the 2026-Q3 report of saas-demo with 10 charts"
    page = Page()
    page.feed(out.read_text(encoding="utf-8"))
    text = " ".join(" ".join(page.text).split())

    # nothing to fetch: no scripts, no stylesheets, every image inline
    assert "script" not in page.tags and "link" not in page.tags
    assert all(link.startswith(SVG) for link in page.links)
    assert len(page.images) == 10
    for image in page.images:
        svg = ElementTree.fromstring(base64.b64decode(image[len(SVG) :]))
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert len(list(svg.iter("{http://www.w3.org/2000/svg}path"))) > 5  # drawn, not empty

    assert page.headings[:2] == ["saas-demo: OKR report 2026-Q3", "Scorecard"]
    assert "Key results: burn-up" in page.headings and "External factors" in page.headings
    assert "Period 2026-07-01 to 2026-09-30, as of 2026-08-15 23:59 UTC." in text
    # the committed team objective of erik: (0.42 + 0) / 2 = 0.21, red, off track
    assert re.search(r"1,000 sales this quarter erik committed 0\.21 red off track 0\.50", text)
    # 24,750 / 55,000 = 0.45; the forecast in a sentence (docs/rules.md's worked example:
    # 24,750 + 46 x 24,750 / 46 = 49,500, band 49,500 -/+ 1,223.64, needs 30,250 / 46 = 658 a
    # day against 538); the GA4 annotation (about the visits KPI) numbered under its chart
    assert (
        "55,000 free visits from target countries by quarter end: 24,750 / 55,000 visits,"
        " score 0.45 (yellow, on track) Forecast: at this pace about 49,500 of 55,000 visits"
        " by 30 September (80%: 48,276 to 50,724); it needs 658 a day, 538 now"
        " 1: GA4 migration" in text
    )
    assert "Launch the brand on TikTok before month end: not yet (binary), score 0.00" in text
    # binary: no forecast, and no sentence for it
    assert "score 0.00 (red, on track) Forecast" not in text
    # KPI trend: 18,750 visits in July, 6,000 so far in August: 6,000 / 18,750 - 1 = -68.0%
    assert "2026-08-01 (so far) 6,000 visits -68.0%" in text
    # the external factors of the quarter
    assert "2026-08-03 to 2026-08-09" in text
    assert "GA4 migration" in text and "external" in text


def test_report_refuses_in_one_line(
    demo: Workspace, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = str(demo.folder / "r.html")
    unknown = demo.okr("report", "--client", "saas-demo", "--period", "2027-Q3", "--out", out)
    assert unknown.code == 1
    assert unknown.err == (
        "okr: error: client saas-demo has no objectives in period 2027-Q3"
        " (its periods: 2026, 2026-08, 2026-Q3)\n"
    )
    nowhere = str(demo.folder / "missing" / "r.html")
    folder = demo.okr("report", "--client", "saas-demo", "--period", "2026-Q3", "--out", nowhere)
    assert folder.code == 1 and folder.err.startswith(f"okr: error: cannot write {nowhere}")
    assert len(folder.err.splitlines()) == 1


@pytest.mark.fast
def test_report_before_any_build(duckdb_workspace: Workspace) -> None:
    ws = duckdb_workspace
    assert ws.okr("init").code == 0
    run = ws.okr("report", "--client", "c", "--period", "2026-Q3", "--out", "r.html")
    assert (run.code, run.err) == (
        1,
        "okr: error: the marts are not built yet: run `okr build` first\n",
    )
