"""What the environment configures: the warehouse, waits and DuckDB's limits and storage."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import StoreError

DEFAULT_WAREHOUSE = "okr.duckdb"
# DuckDB fixes a file's storage version when it creates the file; this one is readable by the
# DuckDB 1.5 that BI tools bundle (Superset's duckdb extra, Metabase's driver).
DEFAULT_DUCKDB_STORAGE_VERSION = "v1.5.0"


def resolve_warehouse(value: str | None) -> str:
    """`--warehouse`, then OKR_WAREHOUSE, then okr.duckdb here; a plain path means DuckDB."""
    value = value or os.environ.get("OKR_WAREHOUSE") or DEFAULT_WAREHOUSE
    if "://" in value:
        return value
    return f"duckdb:///{Path(value).expanduser().resolve()}"


def lock_timeout() -> float:
    """Seconds to wait for a DuckDB warehouse that another process holds:
    $OKR_LOCK_TIMEOUT, else 10."""
    try:
        return max(0.0, float(os.environ.get("OKR_LOCK_TIMEOUT") or 10))
    except ValueError:
        raise StoreError(
            f"OKR_LOCK_TIMEOUT must be a number of seconds, got {os.environ['OKR_LOCK_TIMEOUT']!r}"
        ) from None


def duckdb_storage_version() -> str:
    """The storage version of new DuckDB files: $OKR_DUCKDB_STORAGE_VERSION, else v1.5.0."""
    return os.environ.get("OKR_DUCKDB_STORAGE_VERSION") or DEFAULT_DUCKDB_STORAGE_VERSION


def duckdb_memory_limit() -> str:
    """DuckDB's memory cap for okr's work (it spills to disk beyond it): $OKR_DUCKDB_MEMORY_LIMIT,
    else 3GB. DuckDB's own default, 80% of the machine, starves everything else."""
    return os.environ.get("OKR_DUCKDB_MEMORY_LIMIT") or "3GB"


def work_dir(url: str) -> Path:
    """A user-writable folder per warehouse for dbt's profile, target and logs, and the writer
    lock of a warehouse without table locks."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "okr_plugin"
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    path = base / digest
    path.mkdir(parents=True, exist_ok=True)
    return path
