"""The errors a user can cause or act on. Each message is one line that says what happened
and what to do; the command line prints it instead of a traceback."""


class OkrError(Exception):
    """A failure a user can act on; the message is one line."""


class StoreError(OkrError):
    """The warehouse or an input file could not be read or written."""


class MissingTable(StoreError):
    """A table or view a statement reads is not in the warehouse (not built yet)."""


class WarehouseLocked(StoreError):
    """Another process holds the DuckDB warehouse."""
