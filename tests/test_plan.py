"""`okr plan`: the demo's plan as a sheet (XLSX and CSV), edited and imported back as the goal
events that make the state equal to it; bad sheets refused whole, each problem located."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from okr_plugin.checkins import CHECKINS
from okr_plugin.plan import COLUMNS, PLANNED

from conftest import Workspace, query

CLIENT = "saas-demo"
VISITS = "55,000 free visits from target countries by quarter end"
DEMO = Path(__file__).resolve().parent.parent / "okr_plugin" / "demo"
Q3 = "2026-Q3"


@pytest.fixture(scope="module")
def planned(module_workspace: Workspace) -> Workspace:
    """The demo, built as of 15 August 2026; the tests that use it append nothing."""
    assert module_workspace.okr("demo").code == 0
    return module_workspace


def goal_events(ws: Workspace) -> list[dict[str, Any]]:
    rows = query(
        ws.url,
        "select event_type, entity_id, actor, payload from okr_events order by sequence_no",
    )
    for row in rows:
        if isinstance(row["payload"], str):
            row["payload"] = json.loads(row["payload"])
    return rows


def export(ws: Workspace, out: Path) -> Path:
    run = ws.okr("plan", "export", "--client", CLIENT, "--period", Q3, "--out", str(out))
    assert run.code == 0, run.err
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_an_exported_plan_imports_as_nothing(planned: Workspace, tmp_path: Path) -> None:
    """Export, import: 0 events, from XLSX and from CSV alike; the sheet holds every key result
    of the period under its objective, its current value and score beside it."""
    before = len(goal_events(planned))
    for name in ("plan.xlsx", "plan.csv"):
        out = tmp_path / name
        run = planned.okr("plan", "export", "--client", CLIENT, "--period", Q3, "--out", str(out))
        # the 7 key results of the 4 objectives of 2026-Q3, a row each
        assert run.out.strip() == f"wrote {out}: 7 rows of {CLIENT}'s plan for {Q3}"
        again = planned.okr("plan", "import", str(out), "--client", CLIENT)
        assert again.code == 0, again.err
        assert again.out.startswith(f"the state already equals {out}: nothing to append")
    assert len(goal_events(planned)) == before
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert book.sheetnames == [Q3, "Notes"]
    rows = list(book[Q3].iter_rows(values_only=True))
    visits = dict(zip(rows[0], next(r for r in rows if r[8] == "kr-visits"), strict=True))
    # 24,750 of 55,000 visits, from the KPI: 0.45
    assert (visits["target_value"], visits["now (read only)"], visits["score (read only)"]) == (
        55000,
        24750,
        0.45,
    )
    assert (visits["objective_id"], visits["kpi_id"], str(visits["due_date"])[:10]) == (
        "o-trials",
        "kpi-visitors",
        "2026-09-30",
    )
    notes = dict(book["Notes"].iter_rows(min_row=2, values_only=True))
    assert notes["level"].startswith("company, team or individual")
    # the demo's plan as it ships (okr_plugin/demo/plan.xlsx) is the demo's export, every
    # period, the read-only columns aside
    every = tmp_path / "every.xlsx"
    assert planned.okr("plan", "export", "--client", CLIENT, "--out", str(every)).code == 0
    plans = [
        [row[:-2] for row in openpyxl.load_workbook(path)["Plan"].iter_rows(values_only=True)]
        for path in (DEMO / "plan.xlsx", every)
    ]
    assert plans[0] == plans[1]


def test_each_edit_gives_exactly_its_events(workspace: Workspace, tmp_path: Path) -> None:
    """A target cut with a reason, an objective's owner and a key result's title changed, a new
    objective and new key results without ids, a key result and an objective left out: exactly
    their events, which the marts and the event log then show."""
    assert workspace.okr("demo").code == 0
    rows = read_csv(export(workspace, tmp_path / "plan.csv"))
    for row in rows:
        if row["key_result_id"] == "kr-trials":
            row["target_value"], row["reason"] = "1000", "trade show took priority"
        if row["objective_id"] == "o-sales":
            row["objective_owner"] = "fay"
        if row["key_result_id"] == "kr-visits":
            row["key_result"] = "55,000 visits by quarter end"
    visits = next(r for r in rows if r["key_result_id"] == "kr-visits")
    webinars = visits | {
        "key_result_id": "",
        "key_result": "20 webinars",
        "target_value": "20",
        "unit": "webinars",
        "kpi_id": "",
        "kpi_window": "",
    }
    poland = {name: "" for name in rows[0]} | {
        "objective": "Launch in Poland",
        "level": "team",
        "period": "2026-Q3",
        "parent_objective_id": "o-trials",
        "key_result": "10 Polish partners",
        "target_value": "10",
    }
    # kr-reviews left out; so is kr-asks, the only key result of o-reviews-ask
    kept = [r for r in rows if r["key_result_id"] not in ("kr-reviews", "kr-asks")]
    edited = write_csv(tmp_path / "edited.csv", [*kept, webinars, poland])
    before = len(goal_events(workspace))

    dry = workspace.okr("plan", "import", str(edited), "--client", CLIENT, "--dry-run")
    assert dry.code == 0, dry.err
    said = dry.out.splitlines()
    assert "  owner of '1,000 sales this quarter' erik → fay" in said
    trials = "1,500 new trials through the product-marketing funnel"
    assert f"  target of '{trials}' 1,200 → 1,000" in said
    assert "  new key result '20 webinars': 0 → 20" in said
    assert "  new objective 'Launch in Poland' for 2026-Q3" in said
    assert f"  title of '{VISITS}' {VISITS} → 55,000 visits by quarter end" in said
    assert said[-1].startswith("dry run: 6 changes, nothing appended")
    assert (
        "key result '200 more positive reviews' (kr-reviews) is not in the sheet: kept" in dry.err
    )
    assert (
        "objective 'Win reviews from happy customers' (o-reviews-ask) is not in the sheet: kept"
        in dry.err
    )
    assert len(goal_events(workspace)) == before
    new_id = re.search(r"^new id (kr-20-webinars-[0-9a-f]{6}) for '20 webinars'", dry.out, re.M)
    poland_id = re.search(r"^new id (o-launch-in-poland-[0-9a-f]{6}) for", dry.out, re.M)
    partners_id = re.search(r"^new id (kr-10-polish-partners-[0-9a-f]{6}) for", dry.out, re.M)
    assert new_id and poland_id and partners_id, dry.out

    run = workspace.okr(
        "plan", "import", str(edited), "--client", CLIENT, "--remove-missing", "--actor", "anna"
    )
    assert run.code == 0, run.err
    appended = [
        (e["event_type"], e["entity_id"], e["payload"]) for e in goal_events(workspace)[before:]
    ]
    assert appended == [
        ("objective_updated", "o-sales", {"owner": "fay"}),
        (
            "objective_created",
            poland_id[1],
            {
                "title": "Launch in Poland",
                "level": "team",
                "period": "2026-Q3",
                "parent_objective_id": "o-trials",
            },
        ),
        (
            "key_result_target_changed",
            "kr-trials",
            {"target_value": 1000, "reason": "trade show took priority"},
        ),
        ("key_result_updated", "kr-visits", {"title": "55,000 visits by quarter end"}),
        (
            "key_result_created",
            new_id[1],
            {
                "objective_id": "o-trials",
                "title": "20 webinars",
                "scoring": "spectrum",
                "direction": "increase",
                "start_value": 0,
                "target_value": 20,
                "unit": "webinars",
                "weight": 1,
                "owner": "ben",
                "due_date": "2026-09-30",
            },
        ),
        (
            "key_result_created",
            partners_id[1],
            {"objective_id": poland_id[1], "title": "10 Polish partners", "target_value": 10},
        ),
        ("key_result_removed", "kr-reviews", {}),
        ("objective_archived", "o-reviews-ask", {}),
    ]
    assert {e["actor"] for e in goal_events(workspace)[before:]} == {"anna"}

    # The marts, built as of now: 600 of the new 1,000 trials = 0.6; the new key result, not
    # started (0 of 20); kr-reviews gone; the event log says who changed which target.
    assert workspace.okr("build").code == 0
    krs = {r["key_result_id"]: r for r in query(workspace.url, "select * from okr_key_results")}
    assert (krs["kr-trials"]["target_value"], krs["kr-trials"]["score"]) == (1000, 0.6)
    assert krs[new_id[1]]["score"] == 0 and "kr-reviews" not in krs
    summaries = [r["summary"] for r in query(workspace.url, "select summary from okr_event_log")]
    assert (
        f"target of '{trials}' changed from 1,200 to 1,000: trade show took priority" in summaries
    )
    # the daily history keeps 15 August as it was: 1,200
    [day] = query(
        workspace.url,
        "select target_value from okr_key_result_daily"
        " where key_result_id = 'kr-trials' and date_day = date '2026-08-15'",
    )
    assert day["target_value"] == 1200
    # the sheet again: nothing more
    assert (
        "nothing to append" in workspace.okr("plan", "import", str(edited), "--client", CLIENT).out
    )


def _hostile(good: Path, out: Path) -> Path:
    """The exported workbook with every mistake the test expects, row by row (row 2 is the
    header's next; the rows are in the export's order: kr-conversion, kr-asks, kr-sales,
    kr-tiktok, kr-reviews, kr-trials, kr-visits on rows 2 to 8)."""
    book = openpyxl.load_workbook(good)
    sheet = book[Q3]
    column = {cell.value: cell.column for cell in sheet[1]}

    def put(row: int, name: str, value: Any) -> None:
        sheet.cell(row=row, column=column[name], value=value)

    put(2, "target_value", "1 500")  # a number typed with a space
    put(3, "start_value", "2,05")  # a decimal comma
    put(4, "due_date", 46295)  # a date as Excel's serial number, in a cell not formatted as one
    sheet.cell(row=4, column=column["due_date"]).number_format = "General"
    put(5, "kpi_id", "kpi-nope")  # a KPI nobody defined
    put(6, "parent_objective_id", "o-sales")  # o-trials under o-sales, o-sales under o-trials
    put(7, "parent_objective_id", "o-sales")
    put(8, "parent_objective_id", "o-sales")
    # a new key result whose start equals its target, without a direction
    trials = [cell.value for cell in sheet[6]][:8]  # o-trials' columns, as on its rows
    sheet.append([*trials[:4], None, *trials[5:8], None, "Keep 5 partners", None, None, 5, 5])
    sheet.append([])  # an empty row: skipped
    sheet.append(["o-nowhere", None, None, None, "o-missing"])  # no title, an unknown parent
    # a new key result without a title
    sheet.append([*trials[:4], None, *trials[5:8], "kr-untitled", None, None, None, 0, 5])
    book.save(out)
    return out


def test_a_bad_sheet_is_refused_whole_with_every_problem(
    planned: Workspace, tmp_path: Path
) -> None:
    good = tmp_path / "plan.xlsx"
    export(planned, good)
    bad = _hostile(good, tmp_path / "bad.xlsx")
    before = len(goal_events(planned))
    run = planned.okr("plan", "import", str(bad), "--client", CLIENT)
    assert run.code == 1
    where = f"bad.xlsx, sheet {Q3}"
    plainly = "is not a number; write digits, a point before decimals and no separators"
    assert run.err.splitlines() == [
        f"okr: error: {where}, row 2, column target_value: '1 500' {plainly} (1500, 2.05)",
        f"{where}, row 3, column start_value: '2,05' {plainly} (1500, 2.05)",
        f"{where}, row 4, column due_date: 46295 is a number, not a date (an Excel date"
        " serial?); write 2026-09-30 or format the cell as a date",
        f"{where}, row 11, column parent_objective_id: no objective o-missing",
        f"{where}, row 11, column objective: required for a new objective",
        f"{where}, row 11, column level: required for a new objective",
        f"{where}, row 11, column period: required for a new objective",
        f"{where}, row 4, column parent_objective_id: the alignment of o-sales comes back to it",
        f"{where}, row 6, column parent_objective_id: the alignment of o-trials comes back to it",
        f"{where}, row 5, column kpi_id: no KPI kpi-nope (define it first)",
        f"{where}, row 9, column direction: required when start and target are equal (both 5)",
        f"{where}, row 12, column key_result: required for a new key result",
    ]
    assert len(goal_events(planned)) == before  # nothing appended


def test_sheets_as_people_make_them(planned: Workspace, tmp_path: Path) -> None:
    """A formula's cached value is read; merged cells, a CSV that is not UTF-8 and an unknown
    column are one clear line each; a Polish title is kept as typed; a semicolon CSV reads."""
    good = export(planned, tmp_path / "plan.xlsx")
    # the target of kr-visits as a formula whose last result Excel saved: 55,000
    with zipfile.ZipFile(good) as source:
        files = {name: source.read(name) for name in source.namelist()}
    xml = files["xl/worksheets/sheet1.xml"].decode()
    visits = re.search(r'<c r="N8" t="n"><v>55000</v></c>', xml)
    assert visits, xml[:2000]
    files["xl/worksheets/sheet1.xml"] = xml.replace(
        visits[0], '<c r="N8"><f>50000+5000</f><v>55000</v></c>'
    ).encode()
    formula = tmp_path / "formula.xlsx"
    with zipfile.ZipFile(formula, "w") as target:
        for name, content in files.items():
            target.writestr(name, content)
    run = planned.okr("plan", "import", str(formula), "--client", CLIENT)
    assert "nothing to append" in run.out, run.err

    book = openpyxl.load_workbook(good)
    book[Q3].merge_cells("A2:A3")
    book.save(tmp_path / "merged.xlsx")
    run = planned.okr("plan", "import", str(tmp_path / "merged.xlsx"), "--client", CLIENT)
    assert run.err == (
        f"okr: error: merged.xlsx, sheet {Q3}: merged cells A2:A3; unmerge them"
        " (each row needs its own values)\n"
    )

    rows = read_csv(export(planned, tmp_path / "plan.csv"))
    polish = rows[0] | {
        "key_result_id": "",
        "key_result": "Zwiększyć sprzedaż w Łodzi o 20%",
        "start_value": "0",
        "target_value": "20",
        "unit": "%",
    }
    latin2 = tmp_path / "latin2.csv"
    write_csv(latin2, [*rows, polish])
    latin2.write_bytes(latin2.read_text(encoding="utf-8").encode("cp1250"))
    run = planned.okr("plan", "import", str(latin2), "--client", CLIENT)
    assert run.err == (
        "okr: error: latin2.csv: not UTF-8 text; save it as CSV UTF-8 (Excel) or download it as"
        " CSV (Google Sheets)\n"
    )
    semicolons = tmp_path / "semicolons.csv"
    with semicolons.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows([*rows, polish])
    run = planned.okr("plan", "import", str(semicolons), "--client", CLIENT, "--dry-run")
    assert run.code == 0, run.err
    # ł has no ASCII letter: the id keeps the others
    assert re.search(r"new id kr-zwiekszyc-sprzedaz-w-odzi-o-20-[0-9a-f]{6} for", run.out)
    assert "  new key result 'Zwiększyć sprzedaż w Łodzi o 20%': 0 → 20" in run.out

    plain = "objective,key_result,target_value"
    for header, said in (
        (f"{plain},budget", "odd.csv, row 1: unknown column 'budget'; a plan has"),
        (f"{plain},target_value", "odd.csv, row 1: the column target_value appears twice"),
        (plain, "odd.csv: no rows under the header"),
    ):
        odd = tmp_path / "odd.csv"
        odd.write_text(header + "\n", encoding="utf-8")
        run = planned.okr("plan", "import", str(odd), "--client", CLIENT)
        assert run.err.startswith(f"okr: error: {said}"), run.err


def test_from_a_blank_template_to_a_scorecard_and_a_week_s_check_ins(
    duckdb_workspace: Workspace, tmp_path: Path
) -> None:
    """A newcomer's path without JSON: the template, filled in for a new client; imported and
    built; the week's check-in sheet, filled in and checked in; built again."""
    ws = duckdb_workspace
    template = tmp_path / "template.xlsx"
    assert ws.okr("plan", "template", "--out", str(template)).code == 0
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["Plan", "Notes"]
    sheet = book["Plan"]
    column = {cell.value: cell.column - 1 for cell in sheet[1]}

    def row(**values: Any) -> list[Any]:
        cells: list[Any] = [None] * len(column)
        for name, value in values.items():
            cells[column[name]] = value
        return cells

    objective = {"objective": "Więcej klientów w Łodzi", "level": "Company", "period": "2026-Q4"}
    sheet.append(row(**objective, key_result="1,500 new trials", target_value=1500, unit="trials"))
    sheet.append(row(**objective, key_result="Launch the shop", scoring="binary", target_value=1))
    book.save(tmp_path / "acme.xlsx")
    run = ws.okr("plan", "import", str(tmp_path / "acme.xlsx"), "--client", "acme")
    assert run.code == 0, run.err
    # the objective, its two key results: 3 events; ids derived and printed
    assert "3 events in: 3 accepted, 0 duplicate, 0 rejected" in run.out
    assert run.out.count("new id ") == 3
    assert ws.okr("build").code == 0  # as of now: the events were recorded now
    scorecard = ws.okr("scorecard", "--client", "acme").out
    assert "Więcej klientów w Łodzi" in scorecard and "0 / 1,500 trials" in scorecard

    week = tmp_path / "week.csv"
    run = ws.okr("plan", "export", "--checkin", "--client", "acme", "--out", str(week))
    assert run.out.strip() == f"wrote {week}: 2 key results of acme to check in"
    rows = read_csv(week)
    assert [(r["key_result"], r["last value (read only)"]) for r in rows] == [
        ("1,500 new trials", "0"),
        ("Launch the shop", "0"),
    ]
    rows[0] |= {"value": "600", "confidence": "0.8", "note": "webinars"}
    rows[1] |= {"key_result_id": "", "value": "true"}  # found by its title
    run = ws.okr("checkin", str(write_csv(tmp_path / "filled.csv", rows)), "--client", "acme")
    assert run.code == 0, run.err
    assert run.out.startswith("2 events in: 2 accepted, 0 duplicate, 0 rejected")
    assert ws.okr("build").code == 0
    krs = {r["title"]: r for r in query(ws.url, "select * from okr_key_results")}
    # 600 of 1,500 = 0.4; the shop launched: 1
    assert (krs["1,500 new trials"]["score"], krs["Launch the shop"]["score"]) == (0.4, 1)

    rows[0]["value"], rows[1]["key_result"] = "1 500", "No such key result"
    bad = write_csv(tmp_path / "bad.csv", rows)
    run = ws.okr("checkin", str(bad), "--client", "acme")
    assert run.err.splitlines() == [
        "okr: error: bad.csv, row 2, column value: value '1 500' is not a number; write digits,"
        " a point before decimals and no separators (1500, 2.05)",
        "bad.csv, row 3, column key_result: no key result titled 'No such key result'",
    ]


@pytest.mark.fast
def test_the_docs_explain_every_column() -> None:
    """docs/plan.md says what every column of both sheets holds, as their Notes sheets do."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "plan.md").read_text()
    for column in [*COLUMNS, *CHECKINS.columns]:
        assert f"| `{column.name}` | {column.help} |" in text, column.name


def test_the_demo_made_from_its_plan_sheet_scores_as_worked_by_hand(
    duckdb_workspace: Workspace, tmp_path: Path
) -> None:
    """The demo's plan ships as a sheet (okr_plugin/demo/plan.xlsx, what `okr plan export`
    writes of it); imported as in effect from 1 July, with the demo's KPIs, check-ins and
    observations up to 15 August, it scores as the demo does (docs/rules.md)."""
    ws = duckdb_workspace
    shipped = DEMO / "plan.xlsx"
    events = [json.loads(line) for line in (DEMO / "saas_2026q3.jsonl").read_text().splitlines()]
    kept = [e for e in events if e["event_type"] not in PLANNED]
    assert ws.append(kept).code == 0
    run = ws.okr("plan", "import", str(shipped), "--client", CLIENT, "--at", "2026-07-01T09:00:00Z")
    assert run.code == 0, run.err
    with (DEMO / "observations.csv").open(encoding="utf-8", newline="") as handle:
        observations = list(csv.DictReader(handle))
    until = [r for r in observations if r["observed_at"] <= "2026-08-15T23:59:59Z"]
    assert ws.okr("ingest", str(write_csv(tmp_path / "until.csv", until))).code == 0
    assert ws.okr("build").code == 0
    score = {r["objective_id"]: r["score"] for r in query(ws.url, "select * from okr_objectives")}
    # (visits 0.45 + trials 600 / 1,200 = 0.5 + reviews 0.45 + o-sales 0.21 + o-reviews-ask 0.6)
    # / 5 = 0.442; o-sales (420 / 1,000 + 0) / 2 = 0.21; 180 / 300 = 0.6; (0.6 + 0.45) / 2 =
    # 0.525; (2.05 - 2.0) / (2.1 - 2.0) = 0.5
    assert score["o-trials"] == pytest.approx(0.442)
    assert score["o-sales"] == pytest.approx(0.21)
    assert score["o-reviews-ask"] == pytest.approx(0.6)
    assert score["o-revenue"] == pytest.approx(0.525)
    assert score["o-conversion-q3"] == pytest.approx(0.5)


def test_ten_thousand_rows_and_the_same_edit_in_csv_and_xlsx(
    duckdb_workspace: Workspace, tmp_path: Path
) -> None:
    """A plan of 10,000 key results is imported whole; the same sheet as CSV and as XLSX says
    the same changes. (How fast: bench/plan.py.)"""
    rows = [
        {
            "objective_id": f"o-{k // 5}",
            "objective": f"Objective {k // 5}",
            "level": "team",
            "period": "2026-Q4",
            "key_result_id": f"kr-{k}",
            "key_result": f"KR {k}",
            "target_value": str(k + 1),
        }
        for k in range(10_000)
    ]
    as_csv = write_csv(tmp_path / "big.csv", rows)
    book = openpyxl.Workbook()
    book.active.append(list(rows[0]))
    for row in rows:
        book.active.append([int(v) if k == "target_value" else v for k, v in row.items()])
    book.save(tmp_path / "big.xlsx")
    said = {}
    for path in (as_csv, tmp_path / "big.xlsx"):
        run = duckdb_workspace.okr("plan", "import", str(path), "--client", "big", "--dry-run")
        assert run.code == 0, run.err
        said[path.suffix] = [line for line in run.out.splitlines() if not line.startswith("dry")]
    # 2,000 objectives and 10,000 key results, each said once, in the same words
    assert said[".csv"] == said[".xlsx"] and len(said[".csv"]) == 12_000
    run = duckdb_workspace.okr("plan", "import", str(as_csv), "--client", "big")
    last = run.out.splitlines()[-1]
    assert last.startswith("12000 events in: 12000 accepted, 0 duplicate, 0 rejected")


def test_the_same_titles_next_quarter_are_a_new_plan(
    duckdb_workspace: Workspace, tmp_path: Path
) -> None:
    """Rows without ids: the ids derive from the period (an objective) and the objective (a key
    result) as well as the title, so next quarter's sheet with this quarter's titles is new
    objectives and key results, not this quarter's moved."""
    ws = duckdb_workspace
    rows = [{"objective": "Grow trials", "level": "team", "period": "2026-Q3",
             "key_result": "500 trials a month", "target_value": "500"}]  # fmt: skip
    assert (
        ws.okr("plan", "import", str(write_csv(tmp_path / "q3.csv", rows)), "--client", "c").code
        == 0
    )
    assert ws.okr("build").code == 0
    again = ws.okr("plan", "import", str(tmp_path / "q3.csv"), "--client", "c")
    assert "nothing to append" in again.out and "new id" not in again.out  # found again
    rows[0] |= {"period": "2026-Q4", "target_value": "600"}
    run = ws.okr(
        "plan", "import", str(write_csv(tmp_path / "q4.csv", rows)), "--client", "c", "--dry-run"
    )
    assert run.code == 0, run.err
    assert [line for line in run.out.splitlines() if line.startswith("  ")] == [
        "  new objective 'Grow trials' for 2026-Q4",
        "  new key result '500 trials a month': 0 → 600",
    ]
