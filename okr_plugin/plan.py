"""`okr plan`: a client's objectives and key results as a sheet people edit, and the sheet back
in as the goal events that make the state equal to it.

The sheet is a view of the current state (the marts of the last build): one row per key
result, its objective's columns beside it. Importing a sheet diffs it against that state and
appends only the events that close the difference, `objective_created`, `*_updated`,
`key_result_target_changed` and so on, as if they had been written by hand. An import is all
or nothing: every problem of the sheet is reported, with its sheet, row and column, and nothing
is appended while there is one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import MissingTable, OkrError
from .events import (
    DIRECTIONS,
    KINDS,
    KPI_WINDOWS,
    LEVELS,
    PERIOD_PATTERN,
    SCORINGS,
    InvalidEvent,
    new_event,
    utc_now,
    validate,
)
from .scorecard import format_number
from .store import AppendResult, Line, Store

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
NOTES = "Notes"  # the sheet of an XLSX plan that explains the columns; never read as rows


class PlanError(OkrError):
    """A plan that cannot be read or imported; one line per problem."""


@dataclass(frozen=True)
class Column:
    name: str  # the header in the sheet
    entity: str  # objective, key_result, or "" for what is not imported
    field: str  # the event field it sets ("id": the entity's id; "": none)
    kind: str  # id, text, number, weight, date, period, or one of CHOICES
    help: str  # what it holds and the values allowed, for the notes and docs/plan.md


CHOICES = {
    "level": LEVELS,
    "kind": KINDS,
    "scoring": SCORINGS,
    "direction": DIRECTIONS,
    "kpi_window": KPI_WINDOWS,
}
COLUMNS = (
    Column(
        "objective_id",
        "objective",
        "id",
        "id",
        "the objective's id; blank: one derived from the client and title",
    ),
    Column("objective", "objective", "title", "text", "the objective's title (required)"),
    Column(
        "level",
        "objective",
        "level",
        "level",
        "company, team or individual (required for a new objective)",
    ),
    Column("kind", "objective", "kind", "kind", "aspirational (default) or committed"),
    Column(
        "parent_objective_id",
        "objective",
        "parent_objective_id",
        "id",
        "the id of the objective it is aligned under",
    ),
    Column("objective_owner", "objective", "owner", "text", "who owns the objective"),
    Column(
        "period",
        "objective",
        "period",
        "period",
        "2026, 2026-H2, 2026-Q3 or 2026-07 (required for a new objective)",
    ),
    Column(
        "objective_weight",
        "objective",
        "weight",
        "weight",
        "its weight in its parent, 0 or more (default 1)",
    ),
    Column(
        "key_result_id",
        "key_result",
        "id",
        "id",
        "the key result's id; blank: one derived from the client and title",
    ),
    Column(
        "key_result",
        "key_result",
        "title",
        "text",
        "the key result's title (blank: a row of the objective alone)",
    ),
    Column(
        "scoring",
        "key_result",
        "scoring",
        "scoring",
        "spectrum (default) or binary; fixed once created",
    ),
    Column(
        "direction",
        "key_result",
        "direction",
        "direction",
        "increase, decrease, at_least or at_most; blank: from start and target; fixed once created",
    ),
    Column(
        "start_value",
        "key_result",
        "start_value",
        "number",
        "where it starts (default 0); a number: 1500, 2.05",
    ),
    Column(
        "target_value",
        "key_result",
        "target_value",
        "number",
        "the target (required); a number: 1500, 2.05",
    ),
    Column("unit", "key_result", "unit", "text", "the unit of its values: visits, USD, %"),
    Column(
        "key_result_weight",
        "key_result",
        "weight",
        "weight",
        "its weight in the objective, 0 or more (default 1)",
    ),
    Column("key_result_owner", "key_result", "owner", "text", "who owns the key result"),
    Column(
        "due_date",
        "key_result",
        "due_date",
        "date",
        "a date (2026-09-30); default: the end of the objective's period",
    ),
    Column(
        "kpi_id",
        "key_result",
        "kpi_id",
        "id",
        "the KPI that feeds it (a kpi_defined event's id); blank: fed by check-ins",
    ),
    Column(
        "kpi_window", "key_result", "kpi_window", "kpi_window", "period_to_date (default) or latest"
    ),
    Column(
        "reason", "", "reason", "text", "why its target or start changed (goes with the change)"
    ),
    Column("now (read only)", "", "", "text", "its value at the last build; not imported"),
    Column("score (read only)", "", "", "text", "its score at the last build; not imported"),
)
BY_NAME = {column.name: column for column in COLUMNS}
READ_ONLY = "(read only)"  # ends the header of a column written for context, never read


@dataclass(frozen=True)
class Layout:
    """A kind of sheet: what it is called in messages, its columns, those it needs."""

    name: str
    columns: tuple[Column, ...]
    required: tuple[str, ...]

    @property
    def by_name(self) -> dict[str, Column]:
        return {column.name: column for column in self.columns}


PLAN = Layout("a plan", COLUMNS, ("objective", "key_result", "target_value"))


@dataclass
class Cell:
    """A row of a sheet: where it is, and its cells by column name."""

    source: str
    sheet: str | None
    row: int
    values: dict[str, Any]
    failed: set[str] = field(default_factory=set)  # columns whose value is wrong (reported)

    def where(self, column: str | None = None) -> str:
        sheet = f", sheet {self.sheet}" if self.sheet else ""
        at = f", column {column}" if column else ""
        return f"{self.source}{sheet}, row {self.row}{at}"


# -- reading a sheet ---------------------------------------------------------------------------


def read_rows(path: Path, layout: Layout = PLAN) -> Iterator[Cell]:
    """The rows of a sheet, CSV (UTF-8, comma or semicolon) or XLSX (every sheet but Notes;
    formulas by their cached values), without the empty ones."""
    if not path.is_file():
        raise PlanError(f"{path}: no such file")
    if path.suffix.lower() == ".xlsx":
        tables = _xlsx_tables(path)
    elif path.suffix.lower() == ".csv":
        tables = [(None, _csv_table(path))]
    else:
        raise PlanError(f"{path}: {layout.name} is a .xlsx or .csv file")
    for sheet, table in tables:
        yield from _rows(path.name, sheet, table, layout)


def _header(source: str, sheet: str | None, cells: list[Any], layout: Layout) -> list[str]:
    names = ["" if c is None else str(c).strip() for c in cells]
    where = f"{source}{f', sheet {sheet}' if sheet else ''}, row 1"
    known = layout.by_name
    unknown = [n for n in names if n and n not in known]
    if unknown:
        raise PlanError(
            f"{where}: unknown column {unknown[0]!r}; {layout.name} has {', '.join(known)}"
        )
    missing = [n for n in layout.required if n not in names]
    if missing:
        raise PlanError(f"{where}: the column {missing[0]} is missing")
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise PlanError(f"{where}: the column {twice[0]} appears twice")
    return names


def _rows(source: str, sheet: str | None, table: list[list[Any]], layout: Layout) -> Iterator[Cell]:
    if not table:
        return
    names = _header(source, sheet, table[0], layout)
    for number, cells in enumerate(table[1:], start=2):
        filled = [
            (name, value)
            for name, value in zip(names, cells, strict=False)
            if value is not None and not (isinstance(value, str) and not value.strip())
        ]
        if any(not name for name, _ in filled):
            where = f"{source}{f', sheet {sheet}' if sheet else ''}, row {number}"
            raise PlanError(f"{where}: a value under a column without a header")
        if filled:
            yield Cell(source, sheet, number, dict(filled))


def _csv_table(path: Path) -> list[list[Any]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanError(
            f"{path.name}: not UTF-8 text; save it as CSV UTF-8 (Excel) or download it as CSV"
            " (Google Sheets)"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    table = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [[c if c != "" else None for c in r] for r in table]


def _xlsx_tables(path: Path) -> list[tuple[str | None, list[list[Any]]]]:
    import openpyxl  # a plan's own dependency, imported when a plan is read

    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a file that is not XLSX
        raise PlanError(f"{path.name}: not a readable XLSX file ({err})") from None
    tables: list[tuple[str | None, list[list[Any]]]] = []
    for sheet in book.worksheets:
        if sheet.title == NOTES:
            continue
        merged = sorted(str(r) for r in sheet.merged_cells.ranges)
        if merged:
            raise PlanError(
                f"{path.name}, sheet {sheet.title}: merged cells {', '.join(merged[:3])};"
                " unmerge them (each row needs its own values)"
            )
        tables.append((sheet.title, [list(r) for r in sheet.iter_rows(values_only=True)]))
    return tables


# -- a cell's value ----------------------------------------------------------------------------


def cell_value(column: Column, value: Any) -> Any:
    """A cell as the event field's value; raises InvalidEvent saying what is wrong."""
    if column.kind in ("number", "weight"):
        if isinstance(value, bool):
            raise InvalidEvent(f"{value} is not a number")
        if isinstance(value, str):
            value = typed_number(value)
        if not isinstance(value, (int, float)):
            raise InvalidEvent(f"{value!r} is not a number")
        if column.kind == "weight" and value < 0:
            raise InvalidEvent(f"{value} is below 0")
        return float(value)
    if column.kind == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, (int, float)):
            raise InvalidEvent(
                f"{value} is a number, not a date (an Excel date serial?); write 2026-09-30 or"
                " format the cell as a date"
            )
        written = str(value).strip()
        if written.isdigit():  # a CSV of a sheet whose date cells were numbers
            raise InvalidEvent(
                f"{written} is a number, not a date (an Excel date serial?); write 2026-09-30"
            )
        try:
            return date.fromisoformat(written).isoformat()
        except ValueError:
            raise InvalidEvent(f"{value!r} is not a date like 2026-09-30") from None
    written = _text(value)
    if column.kind in CHOICES:
        choice = written.lower().replace(" ", "_")
        if choice not in CHOICES[column.kind]:
            raise InvalidEvent(f"{written!r} is not one of {', '.join(CHOICES[column.kind])}")
        return choice
    if column.kind == "period" and not PERIOD_PATTERN.match(written):
        raise InvalidEvent(f"{written!r} is not a period such as 2026, 2026-H2, 2026-Q3, 2026-07")
    return written


def typed_number(text: str) -> float:
    """A number as typed into a cell or a command: digits, a point before decimals (1500,
    2.05, -3). "1 500", "1,500" and "2,05" are refused, not guessed at."""
    cleaned = text.strip()
    if not NUMBER.fullmatch(cleaned):
        raise InvalidEvent(
            f"{text!r} is not a number; write digits, a point before decimals and no"
            " separators (1500, 2.05)"
        )
    return float(cleaned)


def _text(value: Any) -> str:
    """A text cell; a number typed in it (2026 in a period, 7 in an id) as it was typed."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def derived_id(prefix: str, client: str, within: str, title: str) -> str:
    """A stable id for a row without one: its title's letters and digits, and a hash of the
    client, what it is within (an objective's period, a key result's objective) and the title:
    the same title next quarter, or under another objective, is another objective or key
    result; two titles that write alike stay apart."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:40].strip("-")
    key = f"{client}\0{prefix}\0{within}\0{title}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:6]
    return f"{prefix}-{slug}-{digest}" if slug else f"{prefix}-{digest}"


# -- the sheet as a plan -----------------------------------------------------------------------


@dataclass
class Entity:
    """An objective or key result as the sheet gives it: its fields and the row it came from."""

    id: str
    fields: dict[str, Any]
    cell: Cell
    parent: str | None = None  # a key result's objective
    reason: str | None = None


@dataclass
class Sheet:
    objectives: dict[str, Entity] = field(default_factory=dict)
    key_results: dict[str, Entity] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # the ids derived for rows without one, in the rows' order: "o-trials-3f2a1c for 'Trials'"
    new_ids: dict[str, str] = field(default_factory=dict)


def read_sheet(rows: Iterator[Cell], client: str) -> Sheet:
    sheet = Sheet()
    for cell in rows:
        parsed: dict[str, dict[str, Any]] = {"objective": {}, "key_result": {}, "": {}}
        for name, raw in cell.values.items():
            column = BY_NAME[name]
            if name.endswith(READ_ONLY):
                continue
            try:
                parsed[column.entity][column.field or name] = cell_value(column, raw)
            except InvalidEvent as err:
                sheet.problems.append(f"{cell.where(name)}: {err}")
                cell.failed.add(name)
        period = parsed["objective"].get("period", "")
        objective = _entity(sheet, cell, client, period, parsed["objective"], "objective")
        if objective is None:
            if parsed["key_result"]:
                sheet.problems.append(f"{cell.where('objective')}: no objective for the key result")
            continue
        _merge(sheet, sheet.objectives, objective)
        if parsed["key_result"]:
            kr = _entity(sheet, cell, client, objective.id, parsed["key_result"], "key_result")
            if kr is None:
                continue
            kr.parent = objective.id
            kr.reason = parsed[""].get("reason")
            if kr.id in sheet.key_results:
                sheet.problems.append(f"{cell.where('key_result_id')}: {kr.id} is on two rows")
            else:
                sheet.key_results[kr.id] = kr
    return sheet


def _entity(
    sheet: Sheet, cell: Cell, client: str, within: str, fields: dict[str, Any], kind: str
) -> Entity | None:
    """The objective or key result (`kind`) of a row's columns; its id as given, or derived
    from its title `within` its period or objective."""
    given = fields.pop("id", None)
    id_column = f"{kind}_id"
    if given is None and "title" not in fields:
        if fields:
            sheet.problems.append(f"{cell.where(kind)}: the title is missing")
        return None
    if given is None:
        prefix = "o" if kind == "objective" else "kr"
        given = derived_id(prefix, client, within, fields["title"])
        sheet.new_ids.setdefault(given, f"{given} for {fields['title']!r} ({cell.where()})")
    if len(str(given)) > 200 or any(ord(ch) < 32 for ch in str(given)):
        sheet.problems.append(f"{cell.where(id_column)}: {str(given)[:40]!r} is not an id")
        return None
    return Entity(str(given), fields, cell)


def _merge(sheet: Sheet, known: dict[str, Entity], entity: Entity) -> None:
    """An objective given on several rows: each row's values must agree with the first's."""
    first = known.setdefault(entity.id, entity)
    if first is entity:
        return
    for name, value in entity.fields.items():
        if first.fields.setdefault(name, value) != value:
            column = next(c.name for c in COLUMNS if c.entity == "objective" and c.field == name)
            sheet.problems.append(
                f"{entity.cell.where(column)}: {value!r} disagrees with {first.fields[name]!r}"
                f" on row {first.cell.row} for objective {entity.id}"
            )


# -- the state and the difference --------------------------------------------------------------


@dataclass
class Change:
    words: str
    event_type: str
    entity_id: str
    payload: dict[str, Any]


@dataclass
class Diff:
    changes: list[Change]
    warnings: list[str]
    new_ids: list[str]


OBJECTIVE_STATE = (
    "select objective_id, title, level, kind, parent_objective_id, owner, period, weight"
    " from okr_objectives where client_id = :client"
)
KEY_RESULT_STATE = (
    "select key_result_id, objective_id, title, scoring, direction, start_value, target_value,"
    " unit, weight, owner, due_date, kpi_id, kpi_window, current_value, score"
    " from okr_key_results where client_id = :client"
)
FIXED = ("scoring", "direction")  # of a key result: no event changes them
# the events of what a plan holds (check-ins, grades, KPIs and annotations are not in it)
PLANNED = (
    "objective_created",
    "objective_updated",
    "objective_archived",
    "key_result_created",
    "key_result_updated",
    "key_result_target_changed",
    "key_result_removed",
)
UPDATED = ("title", "owner", "weight", "due_date", "unit", "kpi_id", "kpi_window")


def current_state(store: Store, client: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The client's objectives and key results at the last build, by id; an error when events of
    them were recorded after it (the sheet would be diffed against an old state)."""
    goal_events = store.query(
        "select count(*) as n, max(recorded_at) as last from okr_events where client_id = :client"
        f" and event_type in ({', '.join(repr(t) for t in PLANNED)})",
        client=client,
    )[0]
    if not goal_events.n:
        return {}, {}
    try:
        objectives = {r.objective_id: r for r in store.query(OBJECTIVE_STATE, client=client)}
        key_results = {r.key_result_id: r for r in store.query(KEY_RESULT_STATE, client=client)}
        built = store.query("select max(as_of_at) as at from okr_objectives")[0].at
    except MissingTable:
        raise PlanError(f"client {client} has events but no build: run okr build first") from None
    if built is None or goal_events.last > built:
        raise PlanError(
            f"goal events of {client} were recorded after the last build: run okr build first"
        )
    return objectives, key_results


def _known(value: Any) -> Any:
    """A state's value as a sheet's: dates as ISO text, numbers as floats."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def _shown(value: Any) -> str:
    return format_number(value) if isinstance(value, float) else str(value)


def diff(
    sheet: Sheet,
    objectives: dict[str, Any],
    key_results: dict[str, Any],
    kpis: set[str],
    remove_missing: bool,
) -> Diff:
    """The events that make the state equal to the sheet, in words; the sheet's problems (and
    those found against the state) raise PlanError, all at once."""
    problems = list(sheet.problems)
    changes: list[Change] = []
    every_objective = set(objectives) | set(sheet.objectives)
    for oid, objective in sheet.objectives.items():
        parent = objective.fields.get("parent_objective_id")
        if parent is not None and parent not in every_objective:
            problems.append(f"{objective.cell.where('parent_objective_id')}: no objective {parent}")
        changes += _objective_changes(objective, objectives.get(oid), problems)
    problems += _cycles(sheet, objectives)
    for kid, kr in sheet.key_results.items():
        kpi = kr.fields.get("kpi_id")
        if kpi is not None and kpi not in kpis:
            problems.append(f"{kr.cell.where('kpi_id')}: no KPI {kpi} (define it first)")
        changes += _key_result_changes(kr, key_results.get(kid), problems)
    if problems:
        raise PlanError("\n".join(problems))
    warnings = []
    in_periods = {
        str(o.fields.get("period") or objectives[i].period) for i, o in sheet.objectives.items()
    }
    for kid, row in key_results.items():
        if kid not in sheet.key_results and row.objective_id in sheet.objectives:
            if remove_missing:
                changes.append(
                    Change(f"remove key result {row.title!r}", "key_result_removed", kid, {})
                )
            else:
                warnings.append(f"key result {row.title!r} ({kid}) is not in the sheet: kept")
    for oid, row in objectives.items():
        if oid not in sheet.objectives and row.period in in_periods:
            if remove_missing:
                changes.append(
                    Change(f"archive objective {row.title!r}", "objective_archived", oid, {})
                )
            else:
                warnings.append(f"objective {row.title!r} ({oid}) is not in the sheet: kept")
    if warnings and not remove_missing:
        warnings.append("(--remove-missing removes what is not in the sheet)")
    # derived ids already in the state are not new: the sheet found them again
    new_ids = [
        said for given, said in sheet.new_ids.items() if given not in objectives | key_results
    ]
    return Diff(changes, warnings, new_ids)


def _differing(entity: Entity, state: Any, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The sheet's values (of `names`, or all) that differ from the state's."""
    return {
        name: value
        for name, value in entity.fields.items()
        if (names is None or name in names) and value != _known(getattr(state, name))
    }


WORDS = {"target_value": "target", "start_value": "start", "parent_objective_id": "parent"}


def _words(state: Any, changed: dict[str, Any]) -> str:
    """ "target of '1,500 new trials' 1,500 → 1,200; owner of ... anna → ben"."""
    return "; ".join(
        f"{WORDS.get(name, name.replace('_', ' '))} of {state.title!r}"
        f" {_shown(_known(getattr(state, name)))} → {_shown(value)}"
        for name, value in changed.items()
    )


def _objective_changes(objective: Entity, state: Any, problems: list[str]) -> list[Change]:
    fields = objective.fields
    if state is None:
        for needed in ("title", "level", "period"):
            column = "objective" if needed == "title" else needed
            if needed not in fields and column not in objective.cell.failed:
                problems.append(f"{objective.cell.where(column)}: required for a new objective")
        words = f"new objective {fields.get('title')!r} for {fields.get('period')}"
        return [Change(words, "objective_created", objective.id, fields)]
    changed = _differing(objective, state)
    if not changed:
        return []
    return [Change(_words(state, changed), "objective_updated", objective.id, changed)]


def _key_result_changes(kr: Entity, state: Any, problems: list[str]) -> list[Change]:
    fields = kr.fields
    if state is None:
        missing = [
            column
            for column, name in (("key_result", "title"), ("target_value", "target_value"))
            if name not in fields and column not in kr.cell.failed
        ]
        for column in missing:
            problems.append(f"{kr.cell.where(column)}: required for a new key result")
        if "title" not in fields or "target_value" not in fields:
            return []
        start = fields.get("start_value", 0.0)
        if start == fields["target_value"] and "direction" not in fields:
            problems.append(
                f"{kr.cell.where('direction')}: required when start and target are equal"
                f" (both {_shown(start)})"
            )
        words = (
            f"new key result {fields['title']!r}: {_shown(start)} →"
            f" {_shown(fields['target_value'])}"
        )
        payload = fields | {"objective_id": kr.parent}
        return [Change(words, "key_result_created", kr.id, payload)]
    if kr.parent != state.objective_id:
        problems.append(
            f"{kr.cell.where('objective')}: key result {kr.id} belongs to objective"
            f" {state.objective_id}; it cannot move"
        )
    for name, value in _differing(kr, state, FIXED).items():
        problems.append(
            f"{kr.cell.where(name)}: {name} of {kr.id} is {getattr(state, name)}, not {value};"
            " it cannot change once created"
        )
    changes = []
    moved = _differing(kr, state, ("target_value", "start_value"))
    if moved:
        payload = {"target_value": _known(state.target_value)} | moved
        if kr.reason:
            payload["reason"] = kr.reason
        changes.append(Change(_words(state, moved), "key_result_target_changed", kr.id, payload))
    updated = _differing(kr, state, UPDATED)
    if updated:
        changes.append(Change(_words(state, updated), "key_result_updated", kr.id, updated))
    return changes


def _cycles(sheet: Sheet, objectives: dict[str, Any]) -> list[str]:
    """Objectives whose alignment comes back to themselves, with the sheet's parents over the
    state's."""
    parents = {oid: row.parent_objective_id for oid, row in objectives.items()}
    parents |= {
        oid: o.fields.get("parent_objective_id", parents.get(oid))
        for oid, o in sheet.objectives.items()
    }
    problems = []
    for oid, objective in sheet.objectives.items():
        seen, at = {oid}, parents.get(oid)
        while at is not None and at not in seen:
            seen.add(at)
            at = parents.get(at)
        if at == oid:
            problems.append(
                f"{objective.cell.where('parent_objective_id')}: the alignment of {oid}"
                " comes back to it"
            )
    return problems


# -- importing and exporting -------------------------------------------------------------------


def events(
    diff: Diff, client: str, actor: str | None, at: datetime | None = None
) -> list[dict[str, Any]]:
    """The changes as goal events, in effect from `at` (default now), checked as the store
    checks them."""
    now = utc_now()
    found = []
    for change in diff.changes:
        event = new_event(
            change.event_type, client, change.entity_id, change.payload, at or now, actor
        )
        try:
            validate(event, now)
        except InvalidEvent as err:
            raise PlanError(f"{change.words}: {err}") from None
        found.append(event)
    return found


def import_plan(
    store: Store,
    path: Path,
    client: str,
    *,
    dry_run: bool,
    remove_missing: bool,
    actor: str | None,
    at: datetime | None = None,
) -> tuple[Diff, AppendResult | None]:
    sheet = read_sheet(read_rows(path, PLAN), client)
    if not sheet.objectives and not sheet.problems:
        raise PlanError(f"{path.name}: no rows under the header")
    store.init()  # a new warehouse's first plan: the event tables first
    objectives, key_results = current_state(store, client)
    kpis = {
        str(r.entity_id)
        for r in store.query(
            "select distinct entity_id from okr_events where client_id = :client"
            " and event_type = 'kpi_defined'",
            client=client,
        )
    }
    found = diff(sheet, objectives, key_results, kpis, remove_missing)
    appended = events(found, client, actor, at)
    if dry_run or not appended:
        return found, None
    lines = [Line(path.name, n, json.dumps(e)) for n, e in enumerate(appended, start=1)]
    result = store.append(lines)
    if result.rejected:  # checked above: only a concurrent change of the store gets here
        raise PlanError(f"the store refused {result.rejected} of the plan's events")
    return found, result


EXPORT_OBJECTIVES = (
    "select objective_id, title, level, kind, parent_objective_id, owner, period, weight"
    " from okr_objectives where client_id = :client and period = coalesce(:period, period)"
    " order by period, objective_id"
)


def plan_rows(store: Store, client: str, period: str | None) -> list[list[Any]]:
    """The sheet's rows (after the header) of a client's objectives and key results at the
    last build, in the columns' order: an objective without key results on a row alone."""
    objectives, key_results = current_state(store, client)
    chosen = [r for r in store.query(EXPORT_OBJECTIVES, client=client, period=period)]
    by_objective: dict[str, list[Any]] = {}
    for kr in sorted(key_results.values(), key=lambda r: r.key_result_id):
        by_objective.setdefault(kr.objective_id, []).append(kr)
    rows = []
    for objective in chosen:
        shown = {
            "objective_id": objective.objective_id,
            "objective": objective.title,
            "level": objective.level,
            "kind": objective.kind,
            "parent_objective_id": objective.parent_objective_id,
            "objective_owner": objective.owner,
            "period": objective.period,
            "objective_weight": objective.weight,
        }
        for kr in by_objective.get(objective.objective_id, [None]):
            row = dict(shown)
            if kr is not None:
                row |= {
                    "key_result_id": kr.key_result_id,
                    "key_result": kr.title,
                    "scoring": kr.scoring,
                    "direction": kr.direction,
                    "start_value": kr.start_value,
                    "target_value": kr.target_value,
                    "unit": kr.unit,
                    "key_result_weight": kr.weight,
                    "key_result_owner": kr.owner,
                    "due_date": kr.due_date,
                    "kpi_id": kr.kpi_id,
                    "kpi_window": kr.kpi_window if kr.kpi_id else None,
                    "now (read only)": kr.current_value,
                    "score (read only)": None if kr.score is None else round(kr.score, 3),
                }
            rows.append([written(row.get(column.name)) for column in COLUMNS])
    return rows


def written(value: Any) -> Any:
    """A state's value as a cell: whole numbers without .0, dates as dates."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime):
        return value.date()
    return value


def write_sheet(
    rows: list[list[Any]], out: Path, sheet_name: str = "Plan", layout: Layout = PLAN
) -> None:
    """A sheet as CSV (UTF-8) or XLSX: its rows under the header, the read-only columns grey,
    and a Notes sheet with every column's values allowed."""
    header = [column.name for column in layout.columns]
    try:
        if out.suffix.lower() == ".csv":
            with out.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows(["" if v is None else v for v in row] for row in rows)
            return
        if out.suffix.lower() != ".xlsx":
            raise PlanError(f"{out}: {layout.name} is written as .xlsx or .csv")
        _write_xlsx(layout, rows, out, sheet_name)
    except OSError as err:
        raise PlanError(f"cannot write {out}: {err.strerror}") from None


def _write_xlsx(layout: Layout, rows: list[list[Any]], out: Path, sheet_name: str) -> None:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_name
    sheet.append([column.name for column in layout.columns])
    for row in rows:
        sheet.append(row)
    grey = PatternFill("solid", start_color="EEEEEE")
    for index, column in enumerate(layout.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.comment = Comment(column.help, "okr")
        sheet.column_dimensions[cell.column_letter].width = max(12, len(column.name) + 2)
        if column.name.endswith(READ_ONLY):
            for line in sheet.iter_rows(min_col=index, max_col=index):
                line[0].fill = grey
        if column.kind == "date":
            for line in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                line[0].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(NOTES)
    notes.append(["column", "what it holds and the values allowed"])
    for column in layout.columns:
        notes.append([column.name, column.help])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 100
    book.save(out)
