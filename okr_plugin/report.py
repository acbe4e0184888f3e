"""The client report: one self-contained HTML page for the client meeting.

It reads the marts of the last build (nothing is computed here that the models do not hold):
the scorecard of the period, a burn-up chart per key result (progress day by day beside the
expected progress, from okr_key_result_daily, with the annotations in force shaded, and the
forecast from the last day to the due date with its 80% band, said in a sentence), KPI
trends with the change on the period before (okr_kpi_rollups), and the annotations that
touched the period. Charts are SVG drawn by matplotlib and embedded as data URIs: the page
needs no network connection and no other file.
"""

from __future__ import annotations

import base64
import io
import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import jinja2
from markupsafe import Markup

from .errors import OkrError
from .marts import Marts, raised_flags
from .resources import PACKAGE_DIR
from .scorecard import format_about, format_now_target, format_number, format_score
from .store import Store


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
    """The HTML page (templates/report.html) and the number of charts in it."""
    marts = Marts(store)
    params: dict[str, Any] = {"client": client, "period": period}
    bounds = marts.read("period_bounds", **params)[0]
    if bounds.period_start is None:
        known = [row.period for row in marts.read("periods", **params)]
        raise ReportError(
            f"client {client} has no objectives in period {period}"
            + (f" (its periods: {', '.join(known)})" if known else "")
        )
    first, last = bounds.period_start, bounds.period_end
    grain = _trend_grain(first, last)
    params.update(first=first, last=last)
    objectives = marts.read("objectives", **params)
    burn_ups = _burn_ups(
        objectives,
        marts.read("key_results", client=client),
        marts.read("key_result_days", **params),
        marts.read("annotation_spans", **params),
    )
    trends = _trends(
        marts.read("kpis", **params), marts.read("rollups", grain=grain, **params), grain
    )
    page = _template().render(
        client=client,
        period=period,
        first=first,
        last=last,
        as_of=objectives[0].as_of_at.strftime("%Y-%m-%d %H:%M UTC"),
        grain=grain,
        scorecard=marts.read("scorecard", flagged_only=False, **params),
        objectives=objectives,
        burn_ups=burn_ups,
        trends=trends,
        annotations=marts.read("annotations", **params),
    )
    charts = sum(1 for b in burn_ups if b["chart"]) + len(trends)
    return page, charts


def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        score=format_score,
        number=format_number,
        now_target=format_now_target,
        flags=raised_flags,
        forecast=forecast_sentence,
        words=lambda value: (value or "-").replace("_", " "),
        change=lambda rate: "-" if rate is None else f"{rate:+.1%}",
        percent=lambda value: "-" if value is None else f"{value:.0%}",
    )
    return environment.get_template("report.html")


def forecast_sentence(kr: Any) -> str:
    """The forecast in words: "at this pace about 49,500 of 55,000 visits by 30 September
    (80%: 48,276 to 50,724); it needs 658 a day, 538 now". Empty without a forecast."""
    if kr.projected_value is None:
        return ""
    unit = f" {kr.unit}" if kr.unit else ""
    due = f"{kr.due_date.day} {kr.due_date:%B}"
    of_target = f"{format_about(kr.projected_value)} of {format_number(kr.target_value)}{unit}"
    if kr.forecast_method == "closed":
        return f"closed at {of_target} on {due}"
    band = ""
    if kr.projected_value_low is not None:
        low, high = format_about(kr.projected_value_low), format_about(kr.projected_value_high)
        band = f" (80%: {low} to {high})" if low != high else ""
    at_most = kr.direction in ("decrease", "at_most")
    if (kr.required_pace > 0) == at_most or kr.required_pace == 0:
        need = "the target is met already"
    else:
        need = f"it needs {format_about(kr.required_pace)} a day"
    now = format_about(kr.current_pace)
    return f"at this pace about {of_target} by {due}{band}; {need}, {now} now"


def _trend_grain(first: date, last: date) -> str:
    """Months for a quarter or longer, weeks for a month, days below."""
    days = (last - first).days + 1
    return "month" if days >= 60 else "week" if days >= 14 else "day"


def _burn_ups(
    objectives: list[Any], key_results: list[Any], daily: list[Any], shaded: list[Any]
) -> list[dict[str, Any]]:
    """Each key result of the objectives, in their order, with its burn-up chart (none before
    its window has a day) and the annotation spans shaded on it."""
    series: dict[str, list[Any]] = defaultdict(list)
    for row in daily:
        series[row.key_result_id].append(row)
    spans: dict[str, list[Any]] = defaultdict(list)
    for row in shaded:
        spans[row.key_result_id].append(row)
    by_objective: dict[str, list[Any]] = defaultdict(list)
    for kr in key_results:
        by_objective[kr.objective_id].append(kr)
    burn_ups = []
    for obj in objectives:
        for kr in by_objective.get(obj.objective_id, []):
            days = series.get(kr.key_result_id, [])
            marked = spans.get(kr.key_result_id, [])
            chart = _burn_up_chart(days, marked, kr) if days else None
            burn_ups.append({"key_result": kr, "chart": chart, "spans": marked})
    return burn_ups


def _trends(kpis: list[Any], rollups: list[Any], grain: str) -> list[dict[str, Any]]:
    """Each KPI observed in the period, by name, with its periods and their chart."""
    periods: dict[str, list[Any]] = defaultdict(list)
    for row in rollups:
        periods[row.kpi_id].append(row)
    return [
        {"kpi": kpi, "rows": periods[kpi.kpi_id], "chart": _trend_chart(periods[kpi.kpi_id], grain)}
        for kpi in sorted(kpis, key=lambda k: k.name or k.kpi_id)
        if periods.get(kpi.kpi_id)
    ]


def _burn_up_chart(days: list[Any], spans: list[Any], kr: Any) -> Markup:
    """Progress (% of the way from start to target) day by day, the expected progress beside it,
    over the whole window; the annotations in force shaded and numbered; from the last day to
    the due date, the forecast and its 80% band (widening from nothing today)."""
    figure, axes = _figure()
    dates = [row.date_day for row in days]
    last = days[-1]
    if kr.forecast_method in ("drift", "too_few_days") and last.date_day < kr.due_date:
        _forecast(axes, kr, last)
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
    axes.set_xlim(kr.window_start, kr.due_date + timedelta(days=1))
    axes.set_ylim(bottom=0)
    axes.set_ylabel("% of the way to target")
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    return _embed(figure)


def _forecast(axes: Any, kr: Any, last: Any) -> None:
    """From the last day to the due date: the line to the projected progress and its 80% band,
    which widens from nothing as the forecast's spread does (sqrt(j (1 + j / n)) on day j of h,
    n the days of the series)."""
    now, h, n = 100 * (last.progress or 0), kr.horizon_days, kr.forecast_days
    days = range(h + 1)
    line = [now + j * (100 * kr.projected_progress - now) / h for j in days]
    dates = [last.date_day + timedelta(days=j) for j in days]
    if kr.projected_progress_low is not None:
        below = 100 * (kr.projected_progress - kr.projected_progress_low)
        above = 100 * (kr.projected_progress_high - kr.projected_progress)
        width = [math.sqrt(j * (1 + j / n) / (h * (1 + h / n))) for j in days]
        axes.fill_between(
            dates,
            [y - below * w for y, w in zip(line, width, strict=True)],
            [y + above * w for y, w in zip(line, width, strict=True)],
            color="#0969da",
            alpha=0.15,
            linewidth=0,
            label="80% band",
        )
    axes.plot(dates, line, color="#0969da", linestyle=":", label="at this pace")


def _trend_chart(rows: list[Any], grain: str) -> Markup:
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


def _embed(figure: Any) -> Markup:
    from matplotlib import rc_context

    buffer = io.BytesIO()
    with rc_context({"svg.hashsalt": "okr_plugin"}):  # the same data draws the same file
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Markup(f'<img class="chart" alt="chart" src="data:image/svg+xml;base64,{data}">')
