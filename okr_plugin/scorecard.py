"""The terminal scorecard: objectives in alignment order, each with its key results."""

from __future__ import annotations

from typing import Any

from .marts import Marts, raised_flags
from .store import Store

COLUMNS = (
    "OBJECTIVE / KEY RESULT",
    "LEVEL",
    "PERIOD",
    "OWNER",
    "NOW / TARGET",
    "FROM",
    "SCORE",
    "GRADE",
    "HEALTH",
    "LANDING",
    "ODDS",
)
TITLE_WIDTH = 60


def format_number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def format_now_target(kr: Any) -> str:
    """ "24,750 / 55,000 visits" for a key result on the spectrum; done or not yet for binary."""
    if kr.scoring != "spectrum":
        return f"{'done' if kr.score == 1 else 'not yet'} (binary)"
    unit = f" {kr.unit}" if kr.unit else ""
    return f"{format_number(kr.current_value)} / {format_number(kr.target_value)}{unit}"


def format_score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def format_about(value: float) -> str:
    """A forecast's figure as a person says it: whole numbers from 100 (49,500), three
    significant digits below (538, 2.1, 0.00109)."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def format_landing(kr: Any) -> str:
    """Where a key result is heading by its due date: "49,500 (0.90)"; "-" without a forecast."""
    if kr.projected_value is None:
        return "-"
    return f"{format_about(kr.projected_value)} ({format_score(kr.projected_score)})"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_scorecard(store: Store, client: str | None = None, period: str | None = None) -> str:
    marts = Marts(store)
    objectives = marts.read("objectives", client=client, period=period)
    key_results = marts.read("key_results", client=client)
    flagged = marts.read("scorecard", client=client, period=period, flagged_only=True)
    if not objectives:
        return "no objectives match" + (f" (client {client})" if client else "")
    by_objective: dict[tuple[str, str], list[Any]] = {}
    for kr in key_results:
        by_objective.setdefault((kr.client_id, kr.objective_id), []).append(kr)

    rows: list[tuple[str, ...]] = []
    headers: list[str] = []
    current_client = None
    for obj in objectives:
        if obj.client_id != current_client:
            current_client = obj.client_id
            as_of = obj.as_of_at.strftime("%Y-%m-%d %H:%M UTC")
            headers.append(f"{obj.client_id} (as of {as_of})")
            rows.append(("#header", headers[-1]))
        indent = "  " * (obj.depth or 0)
        rows.append(
            (
                _shorten(f"{indent}{obj.title}", TITLE_WIDTH),
                obj.level if obj.kind == "aspirational" else f"{obj.level}, {obj.kind}",
                obj.period or "-",
                obj.owner or "-",
                f"expected {format_score(obj.expected_progress)}",
                "",
                format_score(obj.score),
                obj.grade or "-",
                obj.health or "-",
                format_score(obj.projected_score),
                "",
            )
        )
        for kr in by_objective.get((obj.client_id, obj.objective_id), []):
            now_target = format_now_target(kr)
            rows.append(
                (
                    _shorten(f"{indent}  - {kr.title}", TITLE_WIDTH),
                    "",
                    "",
                    kr.owner or "MISSING",
                    now_target,
                    kr.value_source.replace("_", " "),
                    format_score(kr.score),
                    kr.grade or "-",
                    kr.health or "-",
                    format_landing(kr),
                    format_percent(kr.probability_of_target),
                )
            )
    widths = [
        max([len(COLUMNS[i])] + [len(r[i]) for r in rows if r[0] != "#header"])
        for i in range(len(COLUMNS))
    ]
    lines: list[str] = []
    for row in rows:
        if row[0] == "#header":
            lines += ["" if lines else "", row[1], _format(COLUMNS, widths)]
            lines.append("  ".join("-" * w for w in widths))
        else:
            lines.append(_format(row, widths))
    if flagged:
        lines.append("")
    for group in flagged:
        who = f"{group.owner or 'no owner'} ({group.level}, {group.period})"
        lines.append(f"flags: {who}: {raised_flags(group)}")
    return "\n".join(lines).strip("\n")


def _format(row: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
