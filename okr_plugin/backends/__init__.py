"""The warehouses okr runs on, one module each behind the Backend interface (base.py); every
difference between them outside the dbt macros lives in these modules."""

from __future__ import annotations

import sqlalchemy as sa

from ..errors import StoreError
from ..warehouse import display
from .base import Backend
from .duckdb import DuckDB
from .postgres import PostgreSQL
from .spark import Spark

# SQLAlchemy's backend name of a warehouse URL -> its backend
BACKENDS: dict[str, type[Backend]] = {"duckdb": DuckDB, "postgresql": PostgreSQL, "sc": Spark}


def backend_for(url: str) -> Backend:
    """The backend of a warehouse URL."""
    name = sa.make_url(url).get_backend_name()
    if name not in BACKENDS:
        raise StoreError(
            f"okr supports DuckDB, PostgreSQL and Spark warehouses, not {display(url)}; for"
            " another warehouse use the dbt project with your own profile"
        )
    return BACKENDS[name](url)


__all__ = ["Backend", "backend_for"]
