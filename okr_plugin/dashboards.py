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
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from .backends import backend_for
from .errors import OkrError, StoreError
from .resources import bi_dir

VERSION = "1.0.0"  # of Superset's import format
BUNDLE_FOLDER = "okr_plugin_dashboards"
ROW_LIMIT = 10000
NUMBER_FORMAT = ",.3~f"
METRIC = re.compile(r"^(?P<aggregate>[A-Z_]+)\((?P<column>\w+)\)$")


def _load(path: Path) -> dict[str, Any]:
    value = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise OkrError(f"{path}: not a YAML mapping")
    return value


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

        return cls(
            _load(folder / "database.yaml"), each("datasets"), each("charts"), each("dashboards")
        )


def question_sql(name: str) -> str:
    """The SQL of a question in bi/sql, without its leading comment (Superset wraps a
    dataset's SQL in a subquery)."""
    text = (bi_dir() / "sql" / f"{name}.sql").read_text(encoding="utf-8")
    lines = text.splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


# -- the pieces Superset reads ---------------------------------------------------------------


def _metric(spec: str) -> dict[str, Any] | str:
    """`count` is the dataset's saved metric; `MAX(progress)` an ad-hoc one labelled
    `progress`."""
    if spec == "count":
        return "count"
    found = METRIC.match(spec)
    if found is None:
        raise OkrError(f"metric {spec!r}: write count or AGGREGATE(column)")
    return {
        "expressionType": "SIMPLE",
        "column": {"column_name": found["column"]},
        "aggregate": found["aggregate"],
        "label": found["column"],
        "optionName": f"metric_{found['column']}",
    }


def _chart_fields(
    chart: dict[str, Any], columns: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A chart source as Superset form data (params) and the one query it runs; `columns` are
    its dataset's, with their types."""
    filters = [
        {"col": column, "op": operator, "val": value}
        for column, operator, value in chart.get("filters", [])
    ]
    params: dict[str, Any] = {
        "viz_type": chart["viz_type"],
        "adhoc_filters": [
            {
                "expressionType": "SIMPLE",
                "clause": "WHERE",
                "subject": f["col"],
                "operator": f["op"],
                "comparator": f["val"],
            }
            for f in filters
        ],
        "row_limit": ROW_LIMIT,
    }
    query: dict[str, Any] = {"filters": filters, "row_limit": ROW_LIMIT}
    metrics = [_metric(m) for m in chart.get("metrics", [])]
    groupby = list(chart.get("groupby", []))
    if chart["viz_type"] == "table":
        order = [[column, direction == "asc"] for column, direction in chart["order_by"]]
        params |= {
            "query_mode": "raw",
            "all_columns": chart["columns"],
            "order_by_cols": [json.dumps(pair) for pair in order],
            # numbers with up to three decimals, trailing zeros dropped: 0.5, 0.442, 45,000
            "column_config": {
                column: {"d3NumberFormat": NUMBER_FORMAT}
                for column in chart["columns"]
                if columns[column] == "DOUBLE"
            },
            "show_cell_bars": False,
        }
        # metrics None (not []): a raw query, without GROUP BY
        query |= {"columns": chart["columns"], "metrics": None, "orderby": order}
    elif "x_axis" in chart:  # a time series
        params |= {
            "x_axis": chart["x_axis"],
            "time_grain_sqla": chart["time_grain"],
            "metrics": metrics,
            "groupby": groupby,
        }
        axis = {
            "columnType": "BASE_AXIS",
            "expressionType": "SQL",
            "label": chart["x_axis"],
            "sqlExpression": chart["x_axis"],
            "timeGrain": chart["time_grain"],
        }
        query |= {
            "columns": [axis, *groupby],
            "metrics": metrics,
            "orderby": [[metrics[0], False]],
            "series_columns": groupby,
        }
    else:  # a pie: one group column, one metric
        params |= {"groupby": groupby, "metric": metrics[0]}
        query |= {"columns": groupby, "metrics": metrics, "orderby": [[metrics[0], False]]}
    return params, query


def _dataset_file(name: str, source: dict[str, Any], database_uuid: str) -> dict[str, Any]:
    return {
        "table_name": source["table_name"],
        "schema": None,
        "sql": question_sql(Path(source["sql_file"]).stem),
        "main_dttm_col": source.get("main_dttm_col"),
        "description": f"The question in bi/sql/{source['sql_file']}.",
        "filter_select_enabled": True,
        "uuid": source["uuid"],
        "metrics": [
            {
                "metric_name": "count",
                "verbose_name": "count",
                "metric_type": "count",
                "expression": "COUNT(*)",
            }
        ],
        "columns": [
            {
                "column_name": column,
                "type": kind,
                "is_dttm": kind in ("DATE", "TIMESTAMP"),
                "is_active": True,
                "groupby": True,
                "filterable": True,
            }
            for column, kind in source["columns"].items()
        ],
        "version": VERSION,
        "database_uuid": database_uuid,
    }


def _chart_file(source: dict[str, Any], dataset: dict[str, Any]) -> dict[str, Any]:
    params, query = _chart_fields(source, dataset["columns"])
    query_context = {
        "datasource": {"type": "table"},
        "force": False,
        "queries": [query],
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
                    "chartId": list(sources.charts).index(name) + 1,
                    "uuid": chart["uuid"],
                    "sliceName": chart["slice_name"],
                    "width": width,
                    "height": height,
                },
            }
    filters = []
    for column in source["filters"]:
        dataset = next(
            sources.datasets[c["dataset"]]
            for c in charts
            if column in sources.datasets[c["dataset"]]["columns"]
        )
        filters.append(
            {
                "id": f"NATIVE_FILTER-{column}",
                "name": column.replace("_", " "),
                "filterType": "filter_select",
                "type": "NATIVE_FILTER",
                "targets": [{"column": {"name": column}, "datasetUuid": dataset["uuid"]}],
                "controlValues": {
                    "multiSelect": True,
                    "enableEmptyFilter": False,
                    "searchAllOptions": False,
                    "inverseSelection": False,
                },
                "defaultDataMask": {"filterState": {}, "extraFormData": {}},
                "cascadeParentIds": [],
                "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
                "description": "",
            }
        )
    return {
        "dashboard_title": source["dashboard_title"],
        "slug": source["slug"],
        "uuid": source["uuid"],
        "published": True,
        "css": "",
        "position": position,
        "metadata": {
            "native_filter_configuration": filters,
            "color_scheme": "supersetColors",
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
    for name, dataset in sources.datasets.items():
        files[f"datasets/okr_plugin/{dataset['table_name']}.yaml"] = _dataset_file(
            name, dataset, database["uuid"]
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
