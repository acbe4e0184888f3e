"""The `okr` command line: argparse, printing and exit codes over the application layer
(app.py), which does the work."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, date
from pathlib import Path
from typing import Any, NoReturn

import yaml

from . import __version__, access, app
from .errors import OkrError
from .events import InvalidEvent, parse_timestamp
from .gate.results import QualityGateFailed
from .sparkconnect import DEFAULT_PORT
from .store import MAX_REASONS_SHOWN, AppendResult
from .warehouse import display

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REJECTED = 3
EXIT_QUALITY = 4


def as_of_value(text: str) -> str:
    """Validate --as-of: a date stays a date (end of that day), a timestamp becomes UTC."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        moment = parse_timestamp("--as-of", text)
    except (ValueError, InvalidEvent):
        raise argparse.ArgumentTypeError(
            f"--as-of must be a date like 2026-08-15 or an ISO timestamp, got {text!r}"
        ) from None
    return moment.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (exit code 2), not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def dbt_vars(text: str) -> dict[str, Any]:
    """--vars: a YAML (or JSON) mapping of dbt variables."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"--vars must be a YAML mapping, got {text!r}")
    if "as_of" in value:
        raise argparse.ArgumentTypeError("give as_of with --as-of, not in --vars")
    return value


def spark_setting(text: str) -> tuple[str, str]:
    """--conf: one Spark setting, KEY=VALUE."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(
            f"--conf must be a Spark setting KEY=VALUE, e.g. spark.driver.memory=4g, got {text!r}"
        )
    return key.strip(), value.strip()


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--warehouse",
        metavar="URL",
        help="SQLAlchemy URL or DuckDB file (default: $OKR_WAREHOUSE, then okr.duckdb here)",
    )
    parser = _Parser(prog="okr", description="Event-sourced OKRs and KPIs in your warehouse.")
    parser.add_argument("--version", action="version", version=f"okr {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    commands.add_parser(
        "init", parents=[common], help="create the event tables (running it again changes nothing)"
    )
    append = commands.add_parser(
        "append", parents=[common], help="append goal events from JSON lines files"
    )
    append.add_argument("files", nargs="+", metavar="FILE", help="JSON lines; - reads stdin")
    ingest = commands.add_parser(
        "ingest", parents=[common], help="ingest metric observations (CSV, Parquet, JSON lines)"
    )
    ingest.add_argument("files", nargs="+", metavar="FILE", help=".csv, .parquet or .jsonl")
    variables = _Parser(add_help=False)
    variables.add_argument(
        "--vars",
        type=dbt_vars,
        default={},
        metavar="YAML",
        help="dbt variables, e.g. '{okr_observation_relations: [main.ga4_kpis]}'",
    )
    check = commands.add_parser(
        "check",
        parents=[common, variables],
        help="run the data-quality gate on the input tables and say what failed, where",
    )
    check.add_argument(
        "--full",
        action="store_true",
        help="check every row, not only those appended since the last passing run",
    )
    build = commands.add_parser(
        "build", parents=[common, variables], help="run the quality gate, then the dbt models"
    )
    build.add_argument("--as-of", type=as_of_value, help="date or UTC timestamp to build as of")
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild incremental models from scratch (the gate then checks every row)",
    )
    build.add_argument(
        "--publish", action="store_true", help="then publish the marts for BI tools (okr publish)"
    )
    build.add_argument("--to", metavar="PATH", help="with --publish: where (see okr publish)")
    publish = commands.add_parser(
        "publish",
        parents=[common],
        help="write a read-only snapshot of the marts for BI tools and swap it into place",
    )
    publish.add_argument(
        "--to", metavar="PATH", help="the snapshot file (default: WAREHOUSE.published.duckdb)"
    )
    publish.add_argument(
        "--client", help="only this client's rows, for its own BI connection (needs --to)"
    )
    access_parser = commands.add_parser(
        "access", help="which database roles read which clients' rows of the marts (PostgreSQL)"
    )
    access_actions = access_parser.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    for action, what in (
        ("grant", "let a role read a client's rows of the marts (row-level security)"),
        ("revoke", "take a grant back"),
    ):
        change = access_actions.add_parser(action, parents=[common], help=what)
        change.add_argument("--role", required=True, help="an existing database role")
        whom = change.add_mutually_exclusive_group(required=True)
        whom.add_argument("--client", help="the client, as its events spell it")
        whom.add_argument(
            "--all-clients", action="store_true", help="every client: an agency-wide role"
        )
        if action == "grant":
            change.add_argument(
                "--idle-timeout",
                type=int,
                default=access.IDLE_TIMEOUT,
                metavar="SECONDS",
                help="end the role's sessions left in an open transaction this long (0: never;"
                f" default {access.IDLE_TIMEOUT})",
            )
            change.add_argument(
                "--statement-timeout",
                type=int,
                default=access.STATEMENT_TIMEOUT,
                metavar="SECONDS",
                help="cancel the role's statements after this long (0: never; default"
                f" {access.STATEMENT_TIMEOUT})",
            )
    access_actions.add_parser("list", parents=[common], help="every grant")
    bi = commands.add_parser("bi", help="dashboards as code for BI tools")
    tools = bi.add_subparsers(dest="tool", metavar="TOOL", required=True, parser_class=_Parser)
    superset = tools.add_parser(
        "superset",
        parents=[common],
        help="pack the Superset dashboards into an import bundle for this warehouse",
    )
    superset.add_argument("--out", required=True, metavar="FILE", help="the .zip to write")
    superset.add_argument(
        "--snapshot",
        metavar="PATH",
        help="DuckDB: the published snapshot Superset reads (default: as okr publish writes it)",
    )
    scorecard = commands.add_parser(
        "scorecard", parents=[common], help="print objectives and key results with their scores"
    )
    scorecard.add_argument("--client", help="only this client")
    scorecard.add_argument("--period", help="only this period, e.g. 2026-Q3")
    report = commands.add_parser(
        "report",
        parents=[common],
        help="write a client's period report (scorecard, burn-up charts, KPI trends) as HTML",
    )
    report.add_argument("--client", required=True, help="the client")
    report.add_argument("--period", required=True, help="the period, e.g. 2026-Q3")
    report.add_argument("--out", required=True, metavar="FILE", help="the HTML file to write")
    checkin = commands.add_parser(
        "checkin", parents=[common], help="check in a key result's new value (appends the event)"
    )
    checkin.add_argument(
        "key_result", metavar="KR_ID|FILE", help="the key result's id, or a check-in sheet"
    )
    checkin.add_argument(
        "value", nargs="?", metavar="VALUE", help="the value: 1500, 2.05; true or false"
    )
    checkin.add_argument("--client", help="the client (when two have a key result of that id)")
    checkin.add_argument("--confidence", type=float, metavar="C", help="confidence, 0 to 1")
    checkin.add_argument("--note", metavar="TEXT", help="a note on the check-in")
    checkin.add_argument(
        "--at", metavar="TIME", help="when the value was true (ISO 8601; default: now)"
    )
    checkin.add_argument("--actor", help="who checks in (default: none)")
    plans = commands.add_parser("plan", help="a client's plan as a sheet: export, template, import")
    steps = plans.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    export = steps.add_parser(
        "export", parents=[common], help="write the objectives and key results as a sheet"
    )
    export.add_argument("--client", required=True, help="the client")
    export.add_argument("--period", help="only this period, e.g. 2026-Q3")
    export.add_argument("--out", required=True, metavar="FILE", help="a .xlsx or .csv to write")
    export.add_argument(
        "--checkin",
        action="store_true",
        help="the week's check-in sheet instead: every key result running, its last value",
    )
    template = steps.add_parser(
        "template", parents=[common], help="write an empty plan sheet with its notes"
    )
    template.add_argument("--out", required=True, metavar="FILE", help="a .xlsx or .csv to write")
    imported = steps.add_parser(
        "import", parents=[common], help="append the events that make the state equal to a sheet"
    )
    imported.add_argument("file", metavar="FILE", help="the .xlsx or .csv plan")
    imported.add_argument("--client", required=True, help="the client")
    imported.add_argument("--dry-run", action="store_true", help="say the changes, append nothing")
    imported.add_argument(
        "--remove-missing",
        action="store_true",
        help="remove key results and archive objectives that are not in the sheet",
    )
    imported.add_argument("--actor", help="who made the changes (default: none)")
    imported.add_argument(
        "--at", metavar="TIME", help="when the changes took effect (ISO 8601; default: now)"
    )
    commands.add_parser(
        "demo", parents=[common], help="load, build and show the worked example of the article"
    )
    spark = commands.add_parser("spark", help="a local Spark Connect server to try okr on Spark")
    actions = spark.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    for action, what in (("start", "start one"), ("stop", "stop the one started here")):
        server = actions.add_parser(action, help=what)
        server.add_argument(
            "--folder",
            type=Path,
            default=Path("okr-spark"),
            help="where its tables, metastore and logs live (default: ./okr-spark)",
        )
    start = actions.choices["start"]
    start.add_argument("--port", type=int, default=DEFAULT_PORT, help="default: 15002")
    start.add_argument(
        "--conf",
        type=spark_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Spark setting of the server, over okr's own (repeatable)",
    )
    return parser


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except QualityGateFailed as err:
        print(f"okr: error: {err}", file=sys.stderr)
        return EXIT_QUALITY
    except OkrError as err:
        print(f"okr: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("okr: interrupted; nothing of the unfinished step was kept", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "spark":
        return _spark(args)
    url = app.warehouse_url(getattr(args, "warehouse", None))
    if args.command == "init":
        print(app.init(url))
        return EXIT_OK
    if args.command == "append":
        return _report_append(app.append(args.files, url), url)
    if args.command == "ingest":
        return _report_append(app.ingest(args.files, url), url, "observations")
    if args.command == "check":
        report = app.check(url, args.vars, args.full, progress=_stderr)
        for outcome in report.outcomes:
            print("  " + outcome.line())
        print(report.summary())
        return EXIT_QUALITY if report.critical else EXIT_OK
    if args.command == "build":
        print(app.build(url, args.as_of, args.full_refresh, args.vars, _stderr).summary())
        if args.publish:
            print(app.publish(url, args.to).summary())
        return EXIT_OK
    if args.command == "publish":
        print(app.publish(url, args.to, args.client).summary())
        return EXIT_OK
    if args.command == "access":
        return _access(url, args)
    if args.command == "bi":
        print(app.superset_bundle(args.out, url, args.snapshot))
        return EXIT_OK
    if args.command == "scorecard":
        print(app.scorecard(url, args.client, args.period))
        return EXIT_OK
    if args.command == "report":
        print(app.report(args.client, args.period, args.out, url))
        return EXIT_OK
    if args.command == "plan":
        return _plan(url, args)
    if args.command == "checkin" and args.value is None:  # a sheet of the week's check-ins
        if Path(args.key_result).suffix.lower() not in (".csv", ".xlsx"):
            raise OkrError(
                "give a value (okr checkin KR_ID VALUE) or a sheet (okr checkin FILE --client ID)"
            )
        if args.client is None:
            raise OkrError("okr checkin FILE needs --client")
        if args.at or args.confidence is not None or args.note:
            raise OkrError("a sheet's check-ins take their confidence and note from its columns")
        return _report_append(app.checkin_sheet(args.key_result, args.client, url, args.actor), url)
    if args.command == "checkin":
        result = app.checkin(
            args.key_result,
            args.value,
            url,
            client=args.client,
            confidence=args.confidence,
            note=args.note,
            at=args.at,
            actor=args.actor,
        )
        return _report_append(result, url)
    demo = app.demo(url, _stderr)
    codes = [_report_append(demo.appended, url), _report_append(demo.ingested, url, "observations")]
    print(demo.built.summary())
    print()
    print(demo.scorecard)
    return max(codes)


def _report_append(result: AppendResult, url: str, what: str = "events") -> int:
    print(f"{result.summary(what)} ({display(url)})")
    for rejection in result.rejections[:MAX_REASONS_SHOWN]:
        print(f"  rejected {rejection.source}:{rejection.line_no}: {rejection.reason}")
    if result.rejected > MAX_REASONS_SHOWN:
        print(f"  ... and {result.rejected - MAX_REASONS_SHOWN} more in okr_rejected_events")
    return EXIT_REJECTED if result.rejected else EXIT_OK


def _plan(url: str, args: argparse.Namespace) -> int:
    if args.action == "export" and args.checkin:
        print(app.checkin_export(args.client, args.out, url))
        return EXIT_OK
    if args.action == "export":
        print(app.plan_export(args.client, args.out, url, args.period))
        return EXIT_OK
    if args.action == "template":
        print(app.plan_template(args.out))
        return EXIT_OK
    found, result = app.plan_import(
        args.file,
        args.client,
        url,
        dry_run=args.dry_run,
        remove_missing=args.remove_missing,
        actor=args.actor,
        at=args.at,
    )
    for line in found.new_ids:
        print(f"new id {line}")
    for change in found.changes:
        print(f"  {change.words}")
    for warning in found.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.dry_run:
        print(f"dry run: {len(found.changes)} changes, nothing appended ({display(url)})")
        return EXIT_OK
    if result is None:
        print(f"the state already equals {args.file}: nothing to append ({display(url)})")
        return EXIT_OK
    return _report_append(result, url)


def _access(url: str, args: argparse.Namespace) -> int:
    if args.action == "list":
        found, warnings = app.grants(url)
        for grant in found:
            print(grant.line())
        if not found:
            print(f"no grants in {display(url)}: only the owner of the marts reads them")
        for warning in warnings:
            print(warning, file=sys.stderr)
        return EXIT_OK
    if args.action == "grant":
        print(app.grant(args.role, args.client, url, args.idle_timeout, args.statement_timeout))
    else:
        print(app.revoke(args.role, args.client, url))
    return EXIT_OK


def _spark(args: argparse.Namespace) -> int:
    if args.action == "stop":
        app.spark_stop(args.folder)
        print(f"stopped the Spark Connect server of {args.folder}")
        return EXIT_OK
    print(f"starting a Spark Connect server in {args.folder}", file=sys.stderr)
    url = app.spark_start(args.folder, args.port, dict(args.conf))
    print(f"Spark Connect is ready: use --warehouse {url} (okr spark stop to stop it)")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
