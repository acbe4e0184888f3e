"""Warehouse URLs and messages: a URL read, shown without its password, a driver error turned
into one line. What differs between the warehouses lives in backends/."""

from __future__ import annotations

import re

import sqlalchemy as sa

from .errors import MissingTable, StoreError, WarehouseLocked
from .settings import lock_timeout

# A statement read a table or view that is not there, as DuckDB and PostgreSQL ("... does not
# exist") and Spark ("[TABLE_OR_VIEW_NOT_FOUND] ...") say it.
MISSING_TABLE = re.compile(r"does not exist|TABLE_OR_VIEW_NOT_FOUND")


def is_locked(err: BaseException) -> bool:
    lowered = str(err).lower()
    return "could not set lock" in lowered or "conflicting lock" in lowered


def translate(err: Exception, url: str) -> StoreError:
    """Turn a driver error into one line that says what happened and what to do."""
    message = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
    if is_locked(err):
        return WarehouseLocked(
            f"the warehouse {display(url)} is in use by another process (waited"
            f" {lock_timeout():g} s, see OKR_LOCK_TIMEOUT); wait for it to finish (or close it)"
            " and run the command again"
        )
    if MISSING_TABLE.search(message):
        return MissingTable(f"warehouse error on {display(url)}: {message}")
    if "same database file with a different configuration" in message:
        return StoreError(
            f"the warehouse {display(url)} is open in this process with other settings (a DuckDB"
            " connection of the caller's own): close that connection and try again"
        )
    return StoreError(f"warehouse error on {display(url)}: {message}")


def sql_literal(text: str) -> str:
    """A text as an SQL string literal (for statements that take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


# A password given as a query parameter (psycopg takes password= and sslpassword=).
SECRET_PARAMETER = re.compile(r"(?i)\b((?:ssl)?password=)[^&]*")


def display(url: str) -> str:
    """The URL for messages, its password (in the address or as a query parameter) as ***:
    SQLAlchemy's reading of it, or, when that fails or takes part of the password for the
    host (an unescaped @ in it), the text up to its last @."""
    try:
        parsed: sa.URL | None = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        parsed = None
    if parsed is not None and "@" not in (parsed.host or ""):
        shown = parsed.render_as_string(hide_password=True)
    else:
        scheme, separator, rest = url.partition("://")
        userinfo, at, host = rest.rpartition("@")
        if separator and at:
            user, colon, _ = userinfo.partition(":")
            rest = f"{user}{':***' if colon else ''}@{host}"
        shown = f"{scheme}{separator}{rest}"
    return SECRET_PARAMETER.sub(r"\1***", shown)


def check_url(url: str) -> str:
    """The warehouse URL, or a one-line error when SQLAlchemy cannot read it."""
    try:
        sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise StoreError(
            f"cannot read the warehouse URL {display(url)}: write it like"
            " postgresql://user:password@host:5432/database, or give a DuckDB file"
        ) from None
    return url
