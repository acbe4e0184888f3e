"""Reading the marts of the last build, for `okr scorecard` and `okr report`: the queries are
the named statements of sql/marts.sql. Nothing is computed here that the models do not hold."""

from __future__ import annotations

from typing import Any

from .errors import MissingTable, StoreError
from .resources import sql_statements
from .store import Store

FLAGS = (
    "too_many_objectives",
    "too_many_key_results",
    "missing_owner",
    "stale",
    "missed_commitment",
    "not_ambitious",
)


class Marts:
    """The marts of one warehouse, read by statement name."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.statements = sql_statements("marts")

    def read(self, name: str, **params: Any) -> list[Any]:
        """The rows of statement `name`; a mart not built yet is one line saying what to do."""
        try:
            return self.store.query(self.statements[name], **params)
        except MissingTable:
            raise StoreError("the marts are not built yet: run `okr build` first") from None


def raised_flags(group: Any) -> str:
    """The flags a scorecard group raises, as words: "stale, missing owner"."""
    return ", ".join(flag.replace("_", " ") for flag in FLAGS if getattr(group, flag))
