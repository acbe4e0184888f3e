"""Apache Spark through Spark Connect (`sc://host:port`): a DB-API driver over a Connect session
(driver), the SQLAlchemy dialect that takes it for `sc://` URLs (dialect, registered as an
entry point of the package), and a local Connect server for trying okr on one machine (server).

Spark has no transactions: commit and rollback do nothing, and each DataFrame write is atomic
on its own (a Parquet job commits all its files or none). What that means for okr's batches
and numbering is said in DECISIONS.md.
"""

DEFAULT_PORT = 15002  # Spark Connect's own
