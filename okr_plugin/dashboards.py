"""`okr bi superset`: the dashboards of bi/superset packed into a Superset import bundle.

The sources under bi/superset say what each piece is, in few words: a dataset names its
question in bi/sql and its columns, a chart its dataset, kind and fields, a dashboard its rows
of charts and its filters. This module expands them into the files Superset's importer reads
(the format of `superset export-dashboards`): every chart with both its form data (`params`,
what the chart editor shows) and its `query_context` (what the chart data API runs), every
dataset with its columns, one database whose URI points at this warehouse.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from .backends import backend_for
from .errors import OkrError, StoreError
from .resources import bi_dir, render_macro
from .states import SERIES, STATES

VERSION = "1.0.0"  # of Superset's import format
BUNDLE_FOLDER = "okr_plugin_dashboards"
ROW_LIMIT = 10000
# A column's or metric's format, as the d3 number format Superset shows it with: 44%, 24,750.5,
# 7, and a forecast's figures to three significant digits (49,500, 658, 2.05); `state` (a
# grade or health), `flag` (a boolean) and `words` (a code such as key_result) are shown as
# words instead: On track, Yes, Key result.
NUMBER_FORMATS = {"percent": ".0%", "number": ",.2~f", "count": ",d", "about": ",.3~r"}
COLOUR_SCHEME = "wavesOfBlue"
DATE_FORMAT = "%-d %b %Y"  # 1 Aug 2026, as okr report writes it
TIME_FORMAT = "%-d %b %Y %H:%M"


def _load(path: Path) -> dict[str, Any]:
    value = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise OkrError(f"{path}: not a YAML mapping")
    return value


@dataclass(frozen=True)
class Column:
    """A dataset's column (or saved metric): its type as DuckDB names it (a metric's SQL
    expression), the words a client reads for it, and its format (NUMBER_FORMATS, state, flag,
    or none)."""

    name: str
    type: str
    label: str
    format: str | None = None

    @classmethod
    def parse(cls, name: str, spec: list[str]) -> Column:
        return cls(name, *spec)

    @property
    def shown_type(self) -> str:
        """The type Superset sees: a state or flag is shown as words."""
        return "VARCHAR" if self.format in ("state", "flag", "words") else self.type

    @property
    def number_format(self) -> str | None:
        return NUMBER_FORMATS.get(self.format or "")


@dataclass
class Sources:
    database: dict[str, Any]
    datasets: dict[str, dict[str, Any]]
    charts: dict[str, dict[str, Any]]
    dashboards: dict[str, dict[str, Any]]

    @classmethod
    def read(cls, folder: Path | None = None) -> Sources:
        folder = folder or bi_dir() / "superset"

        def each(kind: str) -> dict[str, dict[str, Any]]:
            return {p.stem: _load(p) for p in sorted((folder / kind).glob("*.yaml"))}

        datasets = each("datasets")
        for dataset in datasets.values():
            for part in ("columns", "added", "metrics"):
                specs = dataset.get(part) or {}
                dataset[part] = {name: Column.parse(name, spec) for name, spec in specs.items()}
        return cls(_load(folder / "database.yaml"), datasets, each("charts"), each("dashboards"))


def question_sql(name: str) -> str:
    """The SQL of a question in bi/sql, without its leading comment (Superset wraps a
    dataset's SQL in a subquery)."""
    text = (bi_dir() / "sql" / f"{name}.sql").read_text(encoding="utf-8")
    lines = text.splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


def _added_sql(name: str, dialect: str) -> str:
    """The columns a dataset adds to its question for display; SQL differs by engine here
    only, where no function formats numbers on both (the dbt project's okr_number_text, as
    the event log writes numbers)."""
    if name == "now_target":  # "24,750 / 55,000 visits"; Done or Not yet for a binary one
        engine = {"postgresql": "postgres"}.get(dialect, dialect)

        def number(column: str) -> str:
            return render_macro("okr_math", f"{engine}__okr_number_text", column)

        return (
            f"case when scoring = 'spectrum' then {number('current_value')} || ' / '"
            f" || {number('target_value')} || coalesce(' ' || unit, '')"
            " when score = 1 then 'Done' else 'Not yet' end"
        )
    raise OkrError(f"no way to add the column {name!r}")


def _shown_sql(column: Column) -> str:
    """A question's column as the dataset shows it: a state, flag or code in words."""
    if column.format == "state":
        cases = " ".join(f"when '{value}' then '{state.words}'" for value, state in STATES.items())
        return f"case {column.name} {cases} end as {column.name}"
    if column.format == "flag":
        name = column.name
        return f"case when {name} then 'Yes' when not {name} then 'No' end as {name}"
    if column.format == "words":
        name = column.name
        return f"upper(substr({name}, 1, 1)) || replace(substr({name}, 2), '_', ' ') as {name}"
    return column.name


def dataset_sql(source: dict[str, Any], dialect: str) -> str:
    """A dataset's SQL: its question, its states and flags in words, its added columns."""
    question = question_sql(Path(source["sql_file"]).stem)
    shown = [_shown_sql(c) for c in source["columns"].values()]
    shown += [f"{_added_sql(name, dialect)} as {name}" for name in source["added"]]
    if shown == list(source["columns"]):
        return question
    return "select\n    " + ",\n    ".join(shown) + f"\nfrom (\n{question}\n) as question"


# -- the pieces Superset reads ---------------------------------------------------------------


def _state_colours(column: str) -> list[dict[str, Any]]:
    """A table's cells of a state column coloured by the state's colour."""
    return [
        {"column": column, "operator": "=", "targetValue": state.words, "colorScheme": state.colour}
        for state in STATES.values()
    ]


def _metrics(chart: dict[str, Any], dataset: dict[str, Any], key: str = "metrics") -> list[str]:
    """A chart's metrics: `count` or the dataset's saved metrics, by name."""
    names = chart.get(key, [])
    unknown = [n for n in names if n != "count" and n not in dataset["metrics"]]
    if unknown:
        raise OkrError(f"{chart['slice_name']}: no saved metric {unknown[0]!r} in its dataset")
    return list(names)


def _axis(column: str, grain: str | None) -> dict[str, Any]:
    """A chart's x axis: a time column at a grain, or (without one) a column of labels."""
    return {
        "columnType": "BASE_AXIS",
        "expressionType": "SQL",
        "label": column,
        "sqlExpression": column,
    } | ({"timeGrain": grain} if grain else {})


def _filters(specs: list[list[Any]]) -> list[dict[str, Any]]:
    """`[column, operator, value]` as a query's filters: `==`, or `IS NOT NULL` (value null)."""
    return [{"col": column, "op": operator, "val": value} for column, operator, value in specs]


def _adhoc(filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Filters as the chart editor shows them."""
    return [
        {
            "expressionType": "SIMPLE",
            "clause": "WHERE",
            "subject": f["col"],
            "operator": f["op"],
            "comparator": f["val"],
        }
        for f in filters
    ]


def _chart_fields(
    chart: dict[str, Any], dataset: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A chart source as Superset form data (params) and the queries it runs."""
    columns = dataset["columns"] | dataset["added"]
    filters = _filters(chart.get("filters", []))
    params: dict[str, Any] = {
        "viz_type": chart["viz_type"],
        "adhoc_filters": _adhoc(filters),
        "row_limit": ROW_LIMIT,
        # blues for every series label_colors does not name (a KPI's segments, the
        # annotations shaded on a burn-up): none of them can read as a state
        "color_scheme": COLOUR_SCHEME,
    }
    query: dict[str, Any] = {"filters": filters, "row_limit": ROW_LIMIT}
    metrics = _metrics(chart, dataset)
    first_format = (
        dataset["metrics"][metrics[0]].number_format
        if metrics and metrics[0] != "count"
        else NUMBER_FORMATS["count"]
    )
    groupby = list(chart.get("groupby", []))
    kind = chart["viz_type"]
    if kind == "table":
        order = [[column, direction == "asc"] for column, direction in chart["order_by"]]
        shown = [columns[c] for c in chart["columns"]]
        timed = [c.type for c in shown if c.type in ("DATE", "TIMESTAMP")]
        params |= {
            "query_mode": "raw",
            "all_columns": chart["columns"],
            "order_by_cols": [json.dumps(pair) for pair in order],
            "column_config": {
                c.name: {"d3NumberFormat": c.number_format}
                | ({"showCellBars": True} if c.name in chart.get("bars", []) else {})
                for c in shown
                if c.number_format
            },
            "table_timestamp_format": TIME_FORMAT if "TIMESTAMP" in timed else DATE_FORMAT,
            "show_cell_bars": False,
            "conditional_formatting": [
                rule for c in shown if c.format == "state" for rule in _state_colours(c.name)
            ],
        }
        # metrics None (not []): a raw query, without GROUP BY
        query |= {"columns": chart["columns"], "metrics": None, "orderby": order}
        return params, [query]
    if kind == "big_number":  # the last day's figure above its trend
        params |= {
            "metric": metrics[0],
            "x_axis": chart["x_axis"],
            "time_grain_sqla": chart["time_grain"],
            "show_trend_line": True,
            "start_y_axis_at_zero": True,
            "y_axis_format": first_format,
            "header_font_size": 0.4,
        }
        query |= {
            "columns": [_axis(chart["x_axis"], chart["time_grain"])],
            "metrics": metrics,
            "orderby": [],
        }
        return params, [query]
    if kind == "pie":  # a slice per group, labelled with its words and share
        params |= {
            "groupby": groupby,
            "metric": metrics[0],
            "show_labels": True,
            "label_type": "key_value",
            "number_format": first_format,
            "donut": True,
            "show_legend": True,
        }
        query |= {"columns": groupby, "metrics": metrics, "orderby": [[metrics[0], False]]}
        return params, [query]
    # a time series: `metrics` over `x_axis` at `time_grain` (or, without one, over the labels
    # in `x_axis`, in their order: only the periods that have data), a series per `groupby`,
    # drawn as `series_type` (line or bar); a mixed one adds `metrics_b` per `groupby_b`, as
    # lines or, with `shade_b`, shaded areas (the annotations in force)
    grain = chart.get("time_grain")
    axis = _axis(chart["x_axis"], grain)
    params |= {
        "x_axis": chart["x_axis"],
        "time_grain_sqla": grain,
        "metrics": metrics,
        "groupby": groupby,
        "y_axis_format": first_format,
        "x_axis_time_format": "%d %b",
        "xAxisLabelRotation": 45,
        "rich_tooltip": True,
        "show_legend": True,
        "legendOrientation": "top",
        "legendType": "plain",
        "truncateXAxis": True,
        "opacity": 0.2,  # of a band drawn between a metric's __yhat_lower and __yhat_upper
    }
    if grain is None:
        params |= {"x_axis_sort": chart["x_axis"], "x_axis_sort_asc": True}
    query |= {
        "columns": [axis, *groupby],
        "metrics": metrics,
        "orderby": [[metrics[0], False]],
        "series_columns": groupby,
    }
    if kind != "mixed_timeseries":
        return params, [query]
    metrics_b, groupby_b = _metrics(chart, dataset, "metrics_b"), list(chart["groupby_b"])
    filters_b = filters + _filters(chart.get("filters_b", []))
    params |= {
        "metrics_b": metrics_b,
        "groupby_b": groupby_b,
        "adhoc_filters_b": _adhoc(filters_b),
        "seriesType": chart.get("series_type", "line"),
        "seriesTypeB": "line",
        "areaB": bool(chart.get("shade_b")),
        "opacityB": 0.3,
        "markerEnabledB": not chart.get("shade_b"),
        "show_empty_columns": True,  # keeps apart two areas of one series
        "yAxisIndexB": 0,
    }
    second = query | {
        "filters": filters_b,
        "columns": [axis, *groupby_b],
        "metrics": metrics_b,
        "orderby": [[metrics_b[0], False]],
        "series_columns": groupby_b,
    }
    return params, [query, second]


def _dataset_file(source: dict[str, Any], database_uuid: str, dialect: str) -> dict[str, Any]:
    """A virtual dataset: its SQL, its columns and saved metrics with the words a client
    reads (Superset shows `verbose_name` in tables, legends and filters)."""
    metrics = [Column("count", "COUNT(*)", "Count", "count"), *source["metrics"].values()]
    return {
        "table_name": source["table_name"],
        "schema": None,
        "sql": dataset_sql(source, dialect),
        "main_dttm_col": source.get("main_dttm_col"),
        "description": f"The question in bi/sql/{source['sql_file']}.",
        "filter_select_enabled": True,
        "uuid": source["uuid"],
        "metrics": [
            {
                "metric_name": m.name,
                "verbose_name": m.label,
                "expression": m.type,
                "d3format": m.number_format,
            }
            for m in metrics
        ],
        "columns": [
            {
                "column_name": c.name,
                "verbose_name": c.label,
                "type": c.shown_type,
                "is_dttm": c.type in ("DATE", "TIMESTAMP"),
                "is_active": True,
                "groupby": True,
                "filterable": True,
            }
            for c in [*source["columns"].values(), *source["added"].values()]
        ],
        "version": VERSION,
        "database_uuid": database_uuid,
    }


def _chart_file(source: dict[str, Any], dataset: dict[str, Any]) -> dict[str, Any]:
    params, queries = _chart_fields(source, dataset)
    query_context = {
        "datasource": {"type": "table"},
        "force": False,
        "queries": queries,
        "form_data": params,
        "result_format": "json",
        "result_type": "full",
    }
    return {
        "slice_name": source["slice_name"],
        "viz_type": source["viz_type"],
        "params": params,
        "query_context": json.dumps(query_context),
        "cache_timeout": None,
        "uuid": source["uuid"],
        "version": VERSION,
        "dataset_uuid": dataset["uuid"],
    }


def _native_filter(
    spec: str | dict[str, Any], charts: list[dict[str, Any]], sources: Sources
) -> dict[str, Any]:
    """A select filter on a column of the dashboard's datasets, for the charts whose dataset
    has it: `column`, or a mapping with `column`, `one: true` (one value, required, the first
    selected and applied on opening), `newest_first: true` (the values in descending order:
    the latest period first), `within` (the filters whose values narrow this one's choices)
    and `charts` (the only charts it filters)."""
    options = spec if isinstance(spec, dict) else {"column": spec}
    column, one = options["column"], bool(options.get("one"))
    having = [c for c in charts if column in sources.datasets[c["dataset"]]["columns"]]
    if "charts" in options:
        having = [c for c in having if c in [sources.charts[n] for n in options["charts"]]]
    dataset = sources.datasets[having[0]["dataset"]]
    return {
        "id": f"NATIVE_FILTER-{column}",
        "name": dataset["columns"][column].label,
        "filterType": "filter_select",
        "type": "NATIVE_FILTER",
        "targets": [{"column": {"name": column}, "datasetUuid": dataset["uuid"]}],
        "controlValues": {
            "multiSelect": not one,
            "enableEmptyFilter": one,
            "defaultToFirstItem": one,
            "sortAscending": not options.get("newest_first"),
            "searchAllOptions": False,
            "inverseSelection": False,
        },
        "requiredFirst": one,
        "defaultDataMask": {"filterState": {}, "extraFormData": {}},
        "cascadeParentIds": [f"NATIVE_FILTER-{parent}" for parent in options.get("within", [])],
        "scope": {
            "rootPath": ["ROOT_ID"],
            "excluded": sorted({_chart_id(c, sources) for c in charts if c not in having}),
        },
        "description": "",
    }


def _chart_id(chart: dict[str, Any], sources: Sources) -> int:
    """A chart's id inside the bundle; the importer maps it to the chart it creates."""
    return list(sources.charts.values()).index(chart) + 1


def _dashboard_file(source: dict[str, Any], sources: Sources) -> dict[str, Any]:
    """Rows of charts as Superset's layout, and a select filter per column in `filters`."""
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": ""}},
    }
    position["HEADER_ID"]["meta"]["text"] = source["dashboard_title"]
    charts: list[dict[str, Any]] = []
    for row_no, row in enumerate(source["rows"], start=1):
        row_id = f"ROW-{row_no}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for name, width, height in row:
            chart = sources.charts[name]
            charts.append(chart)
            chart_id = f"CHART-{name}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "type": "CHART",
                "id": chart_id,
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {
                    # the importer maps the uuid to the chart it creates; chartId is a placeholder
                    "chartId": _chart_id(chart, sources),
                    "uuid": chart["uuid"],
                    "sliceName": chart["slice_name"],
                    "width": width,
                    "height": height,
                },
            }
    filters = [_native_filter(spec, charts, sources) for spec in source["filters"]]
    return {
        "dashboard_title": source["dashboard_title"],
        "slug": source["slug"],
        "uuid": source["uuid"],
        "published": True,
        "css": "",
        "position": position,
        "metadata": {
            "native_filter_configuration": filters,
            "color_scheme": COLOUR_SCHEME,
            # one colour per state on every chart: the pies' slices, the series
            "label_colors": {state.words: state.colour for state in STATES.values()} | SERIES,
            "refresh_frequency": 0,
            "cross_filters_enabled": False,
        },
        "version": VERSION,
    }


def bundle_files(
    uri: str, engine_params: dict[str, Any], sources: Sources | None = None
) -> dict[str, dict[str, Any]]:
    """Every file of the bundle (path inside the zip → its YAML content), for a database that
    Superset reaches at uri with engine_params (the backend's superset_database)."""
    sources = sources or Sources.read()
    dialect = uri.split(":", 1)[0].split("+", 1)[0]
    database = {
        "database_name": sources.database["database_name"],
        "sqlalchemy_uri": uri,
        "uuid": sources.database["uuid"],
        "expose_in_sqllab": True,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_run_async": False,
        "allow_file_upload": False,
        "extra": {"allows_virtual_table_explore": True},
        "version": VERSION,
    }
    if engine_params:
        database["extra"]["engine_params"] = engine_params
    files = {
        # no `type`: Superset's asset import (which overwrites everything) refuses `Dashboard`
        "metadata.yaml": {
            "version": VERSION,
            "timestamp": datetime.now(UTC).isoformat(),
        },
        "databases/okr_plugin.yaml": database,
    }
    for dataset in sources.datasets.values():
        files[f"datasets/okr_plugin/{dataset['table_name']}.yaml"] = _dataset_file(
            dataset, database["uuid"], dialect
        )
    for name, chart in sources.charts.items():
        files[f"charts/{name}.yaml"] = _chart_file(chart, sources.datasets[chart["dataset"]])
    for name, dashboard in sources.dashboards.items():
        files[f"dashboards/{name}.yaml"] = _dashboard_file(dashboard, sources)
    return files


def write_superset_bundle(url: str, out: str, snapshot: str | None = None) -> str:
    """Write the import bundle for this warehouse; return the line to print."""
    uri, engine_params = backend_for(url).superset_database(snapshot)
    files = bundle_files(uri, engine_params)
    path = Path(out).expanduser()
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name, content in files.items():
                text = yaml.safe_dump(content, sort_keys=False, allow_unicode=True)
                bundle.writestr(f"{BUNDLE_FOLDER}/{name}", text)
    except OSError as err:
        raise StoreError(f"cannot write {out}: {err.strerror}") from None
    dashboards = sum(name.startswith("dashboards/") for name in files)
    charts = sum(name.startswith("charts/") for name in files)
    return (
        f"wrote {path} ({dashboards} dashboards, {charts} charts) for {uri};"
        f" import it with: superset import-dashboards -p {path} -u <admin user>"
    )
