"""The client report: one self-contained HTML page for the client meeting.

It reads the marts of the last build (nothing is computed here that the models do not hold):
the scorecard of the period, a burn-up chart per key result (progress day by day beside the
expected progress, from okr_key_result_daily, with the annotations in force shaded), KPI
trends with the change on the period before (okr_kpi_rollups), and the annotations that
touched the period. Charts are SVG drawn by matplotlib and embedded as data URIs: the page
needs no network connection and no other file.
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from datetime import date, timedelta
from html import escape
from typing import Any

from .errors import OkrError, StoreError
from .scorecard import (
    FLAGS,
    KEY_RESULTS_SQL,
    OBJECTIVES_SQL,
    format_now_target,
    format_number,
    format_score,
)
from .store import Store

PERIOD_SQL = """
select min(period_start) as period_start, max(period_end) as period_end
from okr_objectives where client_id = :client and period = :period
"""
PERIODS_SQL = "select distinct period from okr_objectives where client_id = :client order by 1"
SCORECARD_SQL = """
select * from okr_scorecard where client_id = :client and period = :period order by level, owner
"""
DAILY_SQL = """
select key_result_id, date_day, progress, expected_progress
from okr_key_result_daily
where client_id = :client and date_day between :first and :last
    and objective_id in (
        select objective_id from okr_objectives where client_id = :client and period = :period
    )
order by key_result_id, date_day
"""
ANNOTATION_DAYS_SQL = """
select key_result_id, annotation_text, min(date_day) as first_day, max(date_day) as last_day
from okr_annotation_days
where client_id = :client and subject_type = 'key_result' and date_day between :first and :last
group by key_result_id, annotation_id, annotation_text
order by key_result_id, first_day
"""
KPIS_SQL = "select kpi_id, name, unit, aggregation from okr_kpis where client_id = :client"
ROLLUPS_SQL = """
select kpi_id, period_start, value, previous_value, change_rate, attainment, is_complete
from okr_kpi_rollups
where client_id = :client and segment = 'all' and grain = :grain
    and period_start between :first and :last
order by kpi_id, period_start
"""
ANNOTATIONS_SQL = """
select annotation_text, category, starts_on, ends_on, about,
    coalesce(key_result_id, objective_id, kpi_id) as subject
from okr_annotations
where client_id = :client and starts_on <= :last and ends_on >= :first
order by starts_on, annotation_id
"""
MARTS = ("okr_objectives", "okr_scorecard", "okr_key_result_daily", "okr_kpi_rollups")

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
td.n { text-align: right; } .green { color: #1a7f37; } .yellow { color: #9a6700; }
.red { color: #cf222e; } .flag { color: #cf222e; font-weight: 600; }
figure { margin: 0 0 1.5rem; } figcaption { font-size: 0.9rem; color: #444; }
img.chart { width: 100%; max-width: 44rem; }
"""


class ReportError(OkrError):
    """A report that cannot be written; the message is one line."""


def write_report(store: Store, client: str, period: str, out: str) -> str:
    """Write the report of `client` for `period` to `out`; returns a one-line summary."""
    page, charts = render_report(store, client, period)
    try:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError as err:
        raise ReportError(f"cannot write {out}: {err.strerror}") from None
    return f"wrote {out}: the {period} report of {client} with {charts} charts"


def render_report(store: Store, client: str, period: str) -> tuple[str, int]:
    """The HTML page and the number of charts in it."""
    params: dict[str, Any] = {"client": client, "period": period}
    bounds = _query(store, PERIOD_SQL, **params)[0]
    if bounds.period_start is None:
        known = [row.period for row in _query(store, PERIODS_SQL, **params)]
        raise ReportError(
            f"client {client} has no objectives in period {period}"
            + (f" (its periods: {', '.join(known)})" if known else "")
        )
    first, last = bounds.period_start, bounds.period_end
    grain = _trend_grain(first, last)
    params.update(first=first, last=last)
    filters = "client_id = :client and period = :period"
    objectives = _query(store, OBJECTIVES_SQL.format(filters=filters), **params)
    key_results = _query(store, KEY_RESULTS_SQL.format(filters="client_id = :client"), **params)
    burn_ups, burn_up_charts = _burn_up_section(
        objectives,
        key_results,
        _query(store, DAILY_SQL, **params),
        _query(store, ANNOTATION_DAYS_SQL, **params),
    )
    trends, trend_charts = _trend_section(
        _query(store, KPIS_SQL, **params), _query(store, ROLLUPS_SQL, grain=grain, **params), grain
    )
    as_of = objectives[0].as_of_at.strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        f"<h1>{escape(client)}: OKR report {escape(period)}</h1>",
        f'<p class="meta">Period {first} to {last}, as of {as_of}.</p>',
        _scorecard_section(_query(store, SCORECARD_SQL, **params), objectives),
        burn_ups,
        trends,
        _annotation_section(_query(store, ANNOTATIONS_SQL, **params)),
    ]
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(client)} OKR report {escape(period)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )
    return page, burn_up_charts + trend_charts


def _query(store: Store, sql: str, **params: Any) -> list[Any]:
    """store.query, saying what to do when the marts are not built yet."""
    try:
        return store.query(sql, **params)
    except StoreError as err:
        if any(table in str(err) for table in MARTS):
            raise ReportError("there is nothing to report yet: run `okr build` first") from None
        raise


def _trend_grain(first: date, last: date) -> str:
    """Months for a quarter or longer, weeks for a month, days below."""
    days = (last - first).days + 1
    return "month" if days >= 60 else "week" if days >= 14 else "day"


def _scorecard_section(scorecard: list[Any], objectives: list[Any]) -> str:
    rows = []
    for group in scorecard:
        raised = ", ".join(f.replace("_", " ") for f in FLAGS if getattr(group, f))
        rows.append(
            "<tr>"
            f"<td>{escape(group.level)}</td><td>{escape(group.owner or 'no owner')}</td>"
            f'<td class="n">{group.objective_count}</td><td class="n">{group.key_result_count}</td>'
            f'<td class="n">{format_score(group.average_score)}</td>'
            f'<td class="n">{group.green_count} / {group.yellow_count} / {group.red_count}</td>'
            f'<td class="n">{group.on_track_count} / {group.at_risk_count} /'
            f" {group.off_track_count}</td>"
            f'<td class="flag">{escape(raised)}</td>'
            "</tr>"
        )
    objective_rows = [
        "<tr>"
        f"<td>{'&nbsp;' * 4 * (obj.depth or 0)}{escape(obj.title)}</td>"
        f"<td>{escape(obj.owner or '-')}</td><td>{escape(obj.kind)}</td>"
        f'<td class="n">{format_score(obj.score)}</td>'
        f'<td class="{obj.grade or ""}">{escape(obj.grade or "-")}</td>'
        f"<td>{escape((obj.health or '-').replace('_', ' '))}</td>"
        f'<td class="n">{format_score(obj.expected_progress)}</td>'
        "</tr>"
        for obj in objectives
    ]
    return (
        "<h2>Scorecard</h2>\n<table>\n<tr><th>Level</th><th>Owner</th><th>Objectives</th>"
        "<th>Key results</th><th>Average score</th><th>Green / yellow / red</th>"
        "<th>On track / at risk / off track</th><th>Flags</th></tr>\n"
        + "\n".join(rows)
        + "\n</table>\n<table>\n<tr><th>Objective</th><th>Owner</th><th>Kind</th><th>Score</th>"
        "<th>Grade</th><th>Health</th><th>Expected</th></tr>\n"
        + "\n".join(objective_rows)
        + "\n</table>"
    )


def _burn_up_section(
    objectives: list[Any], key_results: list[Any], daily: list[Any], shaded: list[Any]
) -> tuple[str, int]:
    series: dict[str, list[Any]] = defaultdict(list)
    for row in daily:
        series[row.key_result_id].append(row)
    spans: dict[str, list[Any]] = defaultdict(list)
    for row in shaded:
        spans[row.key_result_id].append(row)
    by_objective: dict[str, list[Any]] = defaultdict(list)
    for kr in key_results:
        by_objective[kr.objective_id].append(kr)

    parts = ["<h2>Key results: burn-up</h2>"]
    charts = 0
    for obj in objectives:
        for kr in by_objective.get(obj.objective_id, []):
            caption = (
                f"{escape(kr.title)}: {escape(format_now_target(kr))}, score"
                f" {format_score(kr.score)} ({escape(kr.grade or '-')},"
                f" {escape((kr.health or '-').replace('_', ' '))})"
            )
            days = series.get(kr.key_result_id, [])
            if not days:
                parts.append(f"<p>{caption} (no day of its window has passed yet)</p>")
                continue
            marked = spans.get(kr.key_result_id, [])
            chart = _burn_up_chart(days, marked, (kr.window_start, kr.due_date))
            charts += 1
            legend = "".join(
                f"<br>{number}: {escape(span.annotation_text)} ({span.first_day}"
                f"{'' if span.last_day == span.first_day else f' to {span.last_day}'})"
                for number, span in enumerate(marked, start=1)
            )
            parts.append(f"<figure>{chart}<figcaption>{caption}{legend}</figcaption></figure>")
    return "\n".join(parts), charts


def _trend_section(kpis: list[Any], rollups: list[Any], grain: str) -> tuple[str, int]:
    periods: dict[str, list[Any]] = defaultdict(list)
    for row in rollups:
        periods[row.kpi_id].append(row)
    parts = [f"<h2>KPI trends (by {grain})</h2>"]
    charts = 0
    for kpi in sorted(kpis, key=lambda k: k.name or k.kpi_id):
        rows = periods.get(kpi.kpi_id)
        if not rows:
            continue
        unit = f" {kpi.unit}" if kpi.unit else ""
        table_rows = "\n".join(
            "<tr>"
            f"<td>{row.period_start}{'' if row.is_complete else ' (so far)'}</td>"
            f'<td class="n">{format_number(row.value)}{escape(unit)}</td>'
            f'<td class="n">{_change(row.change_rate)}</td>'
            f'<td class="n">{_percent(row.attainment)}</td>'
            "</tr>"
            for row in rows
        )
        charts += 1
        parts.append(
            f"<h3>{escape(kpi.name or kpi.kpi_id)} ({escape(kpi.aggregation or '-')})</h3>\n"
            f"<figure>{_trend_chart(rows, grain)}</figure>\n"
            f"<table>\n<tr><th>{grain.title()}</th><th>Value</th><th>Change on the {grain} before"
            f"</th><th>Of target</th></tr>\n{table_rows}\n</table>"
        )
    if charts == 0:
        parts.append("<p>No KPI was observed in the period.</p>")
    return "\n".join(parts), charts


def _annotation_section(annotations: list[Any]) -> str:
    if not annotations:
        return "<h2>External factors</h2>\n<p>No annotation touched the period.</p>"
    rows = "\n".join(
        "<tr>"
        f"<td>{row.starts_on}{'' if row.ends_on == row.starts_on else f' to {row.ends_on}'}</td>"
        f"<td>{escape(row.annotation_text or '')}</td><td>{escape(row.category or '-')}</td>"
        f"<td>{escape(row.about)}{'' if row.about == 'client' else f' {escape(row.subject)}'}</td>"
        "</tr>"
        for row in annotations
    )
    return (
        "<h2>External factors</h2>\n<table>\n<tr><th>When</th><th>What</th><th>Category</th>"
        f"<th>About</th></tr>\n{rows}\n</table>"
    )


def _change(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:+.1%}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _burn_up_chart(days: list[Any], spans: list[Any], window: tuple[date, date]) -> str:
    """Progress (% of the way from start to target) day by day, the expected progress beside it,
    over the whole window; the annotations in force shaded and numbered."""
    figure, axes = _figure()
    dates = [row.date_day for row in days]
    axes.plot(
        dates,
        [100 * (row.progress or 0) for row in days],
        color="#0969da",
        linewidth=2,
        drawstyle="steps-post",
        label="progress",
    )
    axes.plot(
        dates,
        [100 * row.expected_progress for row in days],
        color="#888888",
        linestyle="--",
        label="expected",
    )
    for number, span in enumerate(spans, start=1):
        axes.axvspan(span.first_day, span.last_day + timedelta(days=1), color="#f2cc60", alpha=0.4)
        axes.annotate(
            str(number), (span.first_day, 1.0), xycoords=("data", "axes fraction"), va="top"
        )
    axes.set_xlim(window[0], window[1] + timedelta(days=1))
    axes.set_ylim(bottom=0)
    axes.set_ylabel("% of the way to target")
    axes.legend(loc="lower right", fontsize=8, frameon=False)
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    return _embed(figure)


def _trend_chart(rows: list[Any], grain: str) -> str:
    figure, axes = _figure()
    labels = [row.period_start.strftime("%Y-%m" if grain == "month" else "%m-%d") for row in rows]
    axes.bar(
        labels,
        [row.value or 0 for row in rows],
        color=["#0969da" if row.is_complete else "#9ecbff" for row in rows],
    )
    axes.set_ylabel("value")
    return _embed(figure)


def _figure() -> tuple[Any, Any]:
    """A figure of its own (no pyplot state); matplotlib is imported only for a report."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 2.6), layout="constrained")
    axes = figure.subplots()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    return figure, axes


def _embed(figure: Any) -> str:
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"svg.hashsalt": "okr_plugin"}):  # the same data draws the same file
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="chart" alt="chart" src="data:image/svg+xml;base64,{data}">'
