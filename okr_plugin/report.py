"""The client report: one self-contained HTML page for the client meeting.

It reads the marts of the last build (nothing is computed here that the models do not hold but
the headline figures, counted from the rows read): first the headline figures of the period
with their change since the week before (docs/rules.md, "Headline figures"), then the
scorecard of the period, grades and health in their colours (states.py), a burn-up chart per
key result (progress day by day beside the expected progress, from okr_key_result_daily, with
the annotations in force shaded, and the forecast from the last day to the due date with its
80% band, said in a sentence), KPI trends with the change on the period before
(okr_kpi_rollups), and the annotations that touched the period. Charts are SVG drawn by
matplotlib and embedded as data URIs: the page needs no network connection and no other file.
"""

from __future__ import annotations

import base64
import io
import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Any, NamedTuple

import jinja2
from markupsafe import Markup

from . import states
from .errors import MissingTable, OkrError
from .marts import Marts, raised_flags
from .resources import PACKAGE_DIR
from .scorecard import format_about, format_now_target, format_number
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
    key_results = marts.read("key_results", client=client)
    as_of = objectives[0].as_of_at
    # the headline's day: as of, or the period's last day once it has ended
    day = min(as_of.date(), last)
    week_before = day - timedelta(days=7)
    history = _daily(marts, "key_result_days", **params)
    tree = _tree(objectives, key_results)
    burn_ups = _burn_ups(tree, history or [], marts.read("annotation_spans", **params))
    kpis = marts.read("kpis", **params)
    trends = _trends(kpis, marts.read("rollups", grain=grain, **params), grain)

    def figures_on(when: date) -> Figures | None:
        return _figures(
            _daily(marts, "objectives_on", day=when, **params) or [],
            _daily(marts, "key_results_on", day=when, **params) or [],
        )

    now = _figures(objectives, key_results)
    if day < as_of.date():  # an ended period: as its last day showed it, where the marts keep it
        now = figures_on(day) or now
    headline = _headline(now, figures_on(week_before), week_before)
    page = _template().render(
        client=client,
        period=period,
        first=first,
        last=last,
        as_of=f"{format_day(as_of)}, {as_of:%H:%M} UTC",
        grain=grain,
        headline=headline,
        scorecard=marts.read("scorecard", flagged_only=False, **params),
        tree=tree,
        burn_ups=burn_ups,
        history=history is not None,
        trends=trends,
        annotations=marts.read("annotations", **params),
        subjects={("kpi", kpi.kpi_id): f"KPI {kpi.name or kpi.kpi_id}" for kpi in kpis}
        | {("key_result", kr.key_result_id): f"key result {kr.title}" for kr in key_results}
        | {("objective", obj.objective_id): f"objective {obj.title}" for obj in objectives},
    )
    charts = sum(1 for b in burn_ups if b["chart"]) + len(trends)
    return page, charts


def _daily(marts: Marts, name: str, **params: Any) -> list[Any] | None:
    """The rows of a statement on the daily marts; None when they are not built
    (`okr_daily_history: false` leaves them out)."""
    try:
        return marts.store.query(marts.statements[name], **params)
    except MissingTable:
        return None


class Figures(NamedTuple):
    """The headline figures of a period on a day (docs/rules.md, "Headline figures"), the
    shares in whole percentage points as the report shows them."""

    objectives: int  # with a score
    average_score: int | None
    key_results: int  # with a health other than closed
    on_track_count: int  # of them on track or completed
    on_track: int | None
    at_risk: int


def _figures(objectives: list[Any], key_results: list[Any]) -> Figures | None:
    """The figures of the objectives and of those of the key results that belong to them; none
    without objectives (the daily marts have no row for the day)."""
    if not objectives:
        return None
    ids = {obj.objective_id for obj in objectives}
    scores = [obj.score for obj in objectives if obj.score is not None]
    health = [kr.health for kr in key_results if kr.objective_id in ids]
    counted = [value for value in health if value not in (None, "closed")]
    on_track = sum(value in ("on_track", "completed") for value in counted)
    return Figures(
        objectives=len(scores),
        average_score=points(sum(scores) / len(scores)) if scores else None,
        key_results=len(counted),
        on_track_count=on_track,
        on_track=points(on_track / len(counted)) if counted else None,
        at_risk=sum(value in ("at_risk", "off_track") for value in health),
    )


def _headline(now: Figures | None, before: Figures | None, day: date) -> list[dict[str, str]]:
    """The boxes at the top of the page: a figure, what it counts, and its change since `day`
    (none without the figure of that day); the key results' boxes only when some run."""
    if now is None:
        return []

    def change(field: str, in_points: bool) -> str:
        old, new = getattr(before, field, None), getattr(now, field)
        if old is None or new is None:
            return ""
        if new == old:
            return f"no change since {format_day(day)}"
        unit = (" pt" if abs(new - old) == 1 else " pts") if in_points else ""
        return f"{signed(new - old)}{unit} since {format_day(day)}"

    def shown(share: int | None) -> str:
        return "-" if share is None else f"{share}%"

    key_results = "key result" if now.key_results == 1 else "key results"
    boxes = [
        {
            "figure": shown(now.average_score),
            "label": "average objective score",
            "detail": f"over {now.objectives} objective{'' if now.objectives == 1 else 's'}",
            "change": change("average_score", in_points=True),
        },
        {
            "figure": shown(now.on_track),
            "label": "of key results on track",
            "detail": f"{now.on_track_count} of {now.key_results} {key_results}"
            " on track or completed",
            "change": change("on_track", in_points=True),
        },
        {
            "figure": str(now.at_risk),
            "label": f"key result{'' if now.at_risk == 1 else 's'} at risk or off track",
            "detail": f"of {now.key_results} {key_results}",
            "change": change("at_risk", in_points=False),
        },
    ]
    return boxes if now.key_results else boxes[:1]  # no key result running: nothing to count


def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        percent=percent,
        day=format_day,
        period=_period_label,
        number=format_number,
        now_target=format_now_target,
        flags=raised_flags,
        forecast=forecast_sentence,
        badge=badge,
        tally=tally,
        change=lambda rate: "-" if rate is None else f"{signed(points(rate))}%",
    )
    environment.globals.update(grades=states.GRADES, health=states.HEALTH)
    return environment.get_template("report.html")


def points(share: float) -> int:
    """A share in whole percentage points, as the report shows it: 0.442 is 44; halves away
    from zero, as SQL's round() (the dashboards' figures): 0.125 is 13, -0.125 is -13."""
    whole = math.floor(abs(100 * share) + 0.5)
    return whole if share >= 0 else -whole


def percent(share: float | None) -> str:
    """Scores, progress, attainment as whole percentages: "44%"; "-" for none."""
    return "-" if share is None else f"{points(share)}%"


def signed(number: int) -> str:
    """ "+3", "−5" (a minus sign, not a hyphen), "0"."""
    return f"+{number}" if number > 0 else f"−{-number}" if number < 0 else "0"


def format_day(day: date) -> str:
    """ "15 Aug 2026": the report's dates."""
    return f"{day.day} {day:%b %Y}"


def _period_label(start: date, grain: str) -> str:
    """A KPI rollup's period by its first day: "Aug 2026", "week of 3 Aug 2026", "3 Aug 2026"."""
    if grain == "month":
        return f"{start:%b %Y}"
    return f"week of {format_day(start)}" if grain == "week" else format_day(start)


def badge(state: str | None, text: str | None = None) -> Markup:
    """A grade or health as a label in its colour (states.py): "On track" on green; `text` in
    place of its words; "-" for none."""
    colour = states.colour(state)
    if colour is None:
        return Markup.escape(states.words(state))
    return Markup('<span class="badge" style="background: {}; color: {}">{}</span>').format(
        colour, states.ink(colour), text or states.words(state)
    )


def tally(group: Any, kinds: dict[str, states.State]) -> Markup:
    """How many of a scorecard group's objectives are in each of the states `kinds` (the
    grades or the health values), as labels: "1 Yellow"; "-" for none."""
    counts = [(state, getattr(group, f"{state}_count")) for state in kinds]
    labels = [badge(state, f"{count} {kinds[state].words}") for state, count in counts if count]
    return Markup(" ").join(labels) or Markup("-")


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


def _tree(objectives: list[Any], key_results: list[Any]) -> list[dict[str, Any]]:
    """Each objective, in alignment order, with its depth below the objectives of the report
    above it (an objective whose parent is of another period is not indented) and its key
    results."""
    by_objective: dict[str, list[Any]] = defaultdict(list)
    for kr in key_results:
        by_objective[kr.objective_id].append(kr)
    ids = {obj.objective_id for obj in objectives}
    return [
        {
            "objective": obj,
            "depth": sum(above in ids for above in (obj.path or "").split(" > ")[:-1]),
            "key_results": by_objective.get(obj.objective_id, []),
        }
        for obj in objectives
    ]


def _burn_ups(
    tree: list[dict[str, Any]], daily: list[Any], shaded: list[Any]
) -> list[dict[str, Any]]:
    """Each key result of the objectives, in their order, with its burn-up chart (none before
    its window has a day, or without the daily history) and the annotation spans shaded on
    it."""
    series: dict[str, list[Any]] = defaultdict(list)
    for row in daily:
        series[row.key_result_id].append(row)
    spans: dict[str, list[Any]] = defaultdict(list)
    for row in shaded:
        spans[row.key_result_id].append(row)
    burn_ups = []
    for branch in tree:
        for kr in branch["key_results"]:
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
        {
            "kpi": kpi,
            "rows": periods[kpi.kpi_id],
            "chart": _trend_chart(periods[kpi.kpi_id], kpi, grain),
        }
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
        color=states.SERIES["progress"],
        linewidth=2,
        drawstyle="steps-post",
        label="progress",
    )
    axes.plot(
        dates,
        [100 * row.expected_progress for row in days],
        color=states.SERIES["expected_progress"],
        linestyle="--",
        label="expected",
    )
    for number, span in enumerate(spans, start=1):
        axes.axvspan(span.first_day, span.last_day + timedelta(days=1), color="#d0d7de", alpha=0.5)
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
    formatter = ConciseDateFormatter(locator, show_offset=False)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(formatter)
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
            color=states.SERIES["forecast_progress"],
            alpha=0.25,
            linewidth=0,
            label="80% band",
        )
    forecast = states.SERIES["forecast_progress"]
    axes.plot(dates, line, color=forecast, linestyle=":", label="at this pace")


def _trend_chart(rows: list[Any], kpi: Any, grain: str) -> Markup:
    from matplotlib.ticker import FuncFormatter

    figure, axes = _figure()
    labels = [row.period_start.strftime("%b %Y" if grain == "month" else "%d %b") for row in rows]
    axes.bar(
        labels,
        [row.value or 0 for row in rows],
        # a period still running in the lighter blue
        color=[
            states.SERIES["progress" if row.is_complete else "forecast_progress"] for row in rows
        ],
    )
    axes.set_ylabel(kpi.unit or "value")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: format_number(value)))
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
