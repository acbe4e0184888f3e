"""What the package ships beside its code (the dbt project, the BI sources, SQL scripts) and
what Python reads of it: dbt variables' defaults, and the project's plain-Jinja macros, which
Python renders instead of writing the same SQL a second time."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(packaged: str, in_checkout: str) -> Path:
    """A folder inside the installed package, or at the repository root in a checkout."""
    path = PACKAGE_DIR / packaged
    return path if path.exists() else PACKAGE_DIR.parent / in_checkout


def project_dir() -> Path:
    """The dbt project."""
    return _shipped("dbt_project", ".")


def mart_names() -> list[str]:
    """The marts of the dbt project: the models in models/marts."""
    return sorted(path.stem for path in (project_dir() / "models" / "marts").glob("okr_*.sql"))


def bi_dir() -> Path:
    """The BI sources: dashboards as code and the SQL questions behind them."""
    return _shipped("bi", "bi")


def project_variable(name: str, overrides: dict[str, Any] | None = None) -> Any:
    """A dbt variable as a build would see it: from overrides (--vars), else the project's
    default."""
    if overrides and name in overrides:
        return overrides[name]
    return _project_variables()[name]


@cache
def _project_variables() -> dict[str, Any]:
    text = (project_dir() / "dbt_project.yml").read_text(encoding="utf-8")
    variables: dict[str, Any] = yaml.safe_load(text)["vars"]
    return variables


def has_macro(file: str, name: str) -> bool:
    """Whether macros/<file>.sql defines macro `name`."""
    return hasattr(_macros(file).module, name)


def render_macro(file: str, name: str, *args: Any, **kwargs: Any) -> str:
    """Render macro `name` of macros/<file>.sql, one that calls nothing of dbt's."""
    macro = getattr(_macros(file).module, name)
    return str(macro(*args, **kwargs)).strip()


@cache
def _macros(file: str) -> jinja2.Template:
    text = (project_dir() / "macros" / f"{file}.sql").read_text(encoding="utf-8")
    return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(text)


def sql_statements(name: str, **constants: Any) -> dict[str, str]:
    """The statements of okr_plugin/sql/<name>.sql by name (each begins at a line
    `-- name: <its name>`), rendered with Jinja from constants."""
    text = (PACKAGE_DIR / "sql" / f"{name}.sql").read_text(encoding="utf-8")
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    rendered = environment.from_string(text).render(**constants)
    statements = {}
    for block in re.split(r"(?m)^-- name: ", rendered)[1:]:
        statement_name, _, body = block.partition("\n")
        statements[statement_name.strip()] = body.strip()
    return statements
