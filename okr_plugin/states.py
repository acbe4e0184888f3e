"""The states a client reads, set once: each grade and health value's words and colour, and
the colours of a burn-up's lines.

The Superset bundle (dashboard `label_colors`, the tables' cell colours) and `okr report` both
take their words and colours from here, so a state looks the same wherever it is shown.
"""

from __future__ import annotations

from typing import NamedTuple


class State(NamedTuple):
    words: str  # what a client reads, e.g. "On track"
    colour: str  # the state's colour, #rrggbb


GREEN, YELLOW, RED, GREY, BLUE = "#1a7f37", "#d4a72c", "#cf222e", "#8c959f", "#0969da"

GRADES = {
    "green": State("Green", GREEN),
    "yellow": State("Yellow", YELLOW),
    "red": State("Red", RED),
}
HEALTH = {
    "completed": State("Completed", BLUE),
    "on_track": State("On track", GREEN),
    "at_risk": State("At risk", YELLOW),
    "off_track": State("Off track", RED),
    "closed": State("Closed", GREY),
}
STATES = GRADES | HEALTH


def words(value: str | None) -> str:
    """A grade or health as a client reads it: "On track"; "-" for none."""
    if value is None:
        return "-"
    state = STATES.get(value)
    return state.words if state else value.replace("_", " ")


def colour(value: str | None) -> str | None:
    return None if value is None or value not in STATES else STATES[value].colour


def ink(colour: str) -> str:
    """The text colour that reads on a background of `colour` (#rrggbb): white on the dark
    ones, near-black on the light ones (yellow, grey), by the colour's luma."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#ffffff" if 0.299 * red + 0.587 * green + 0.114 * blue < 140 else "#1f2328"


# the colours of lines and bars by the name of their series: a burn-up's progress, expected
# progress and forecast; a KPI's value over all segments and its target
SERIES = {
    "progress": BLUE,
    "expected_progress": GREY,
    "forecast_progress": "#54aeff",
    "All segments": BLUE,
    "target": "#1f2328",
}
