"""`okr access`: which database roles read which clients' rows of the marts, on PostgreSQL.

A grant is a row of okr_access (role, client; no client: every client) and select on the
marts and on okr_access for the role. Row-level security does the rest: every mart's policy
(macros/okr_access.sql, re-applied by each build in the transaction that builds the mart)
shows a role the rows of its clients, and okr_access shows it its own grants only. A role
gets nothing else: no input table, no intermediate model, no write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from .errors import StoreError
from .events import InvalidEvent, identifier, utc_now
from .resources import mart_names
from .schema import okr_access
from .store import Store
from .warehouse import display, translate

MAX_ROLE_BYTES = 63  # PostgreSQL's longest identifier; a longer name is cut, not refused
NOT_POSTGRES = (
    "okr access needs PostgreSQL (row-level security); on DuckDB publish a file per client:"
    " okr publish --client CLIENT --to FILE"
)


@dataclass
class Grant:
    role: str
    client: str | None  # None: every client
    granted_at: datetime

    def line(self) -> str:
        client = "every client" if self.client is None else f"client {self.client!r}"
        return f"{self.role!r} reads {client} (granted {self.granted_at:%Y-%m-%d %H:%M} UTC)"


def _what(client: str | None) -> str:
    return "every client" if client is None else f"client {client!r}"


def _store(url: str) -> Store:
    if sa.make_url(url).get_backend_name() != "postgresql":
        raise StoreError(NOT_POSTGRES)
    return Store(url)


def _role(conn: sa.Connection, role: str) -> str:
    """The role, checked: it exists and row-level security applies to it."""
    if not role.strip() or any(ord(ch) < 32 for ch in role):
        raise StoreError(f"--role must be a printable role name, got {role!r}")
    if len(role.encode()) > MAX_ROLE_BYTES:
        raise StoreError(
            f"--role is {len(role.encode())} bytes long; PostgreSQL role names are at most"
            f" {MAX_ROLE_BYTES}"
        )
    found = conn.execute(
        sa.text(
            "select rolsuper or rolbypassrls as bypasses,"
            " pg_catalog.pg_has_role(oid, current_user, 'MEMBER') as owns"
            " from pg_catalog.pg_roles where rolname = :role"
        ),
        {"role": role},
    ).first()
    if found is None:
        raise StoreError(
            f"there is no role {role!r} on this server: create it first"
            " (create role ... login password '...'), then grant it access"
        )
    if found.bypasses or found.owns:
        reason = "is a superuser or has bypassrls" if found.bypasses else "may act as the owner"
        raise StoreError(
            f"role {role!r} {reason}, so row-level security does not apply to it and it would"
            " read every client: grant a role of its own"
        )
    return role


def _client(conn: sa.Connection, client: str) -> str:
    """The client, checked: an id that okr_events or okr_observations holds."""
    try:
        identifier("--client", client)
    except InvalidEvent as err:
        raise StoreError(str(err)) from None
    known: bool = conn.execute(
        sa.text(
            "select exists (select 1 from okr_events where client_id = :client)"
            " or exists (select 1 from okr_observations where client_id = :client)"
        ),
        {"client": client},
    ).scalar_one()
    if not known:
        raise StoreError(
            f"no client {client!r} in okr_events or okr_observations: check the id (ids are"
            " case-sensitive)"
        )
    return client


def _matching(role: str, client: str | None) -> sa.ColumnElement[bool]:
    same_client = (
        okr_access.c.client_id.is_(None) if client is None else okr_access.c.client_id == client
    )
    return sa.and_(okr_access.c.role_name == role, same_client)


def _tables(conn: sa.Connection) -> list[str]:
    """okr_access and the marts built so far (a mart built later grants select itself)."""
    inspector = sa.inspect(conn)
    return ["okr_access", *(name for name in mart_names() if inspector.has_table(name))]


def _privileges(conn: sa.Connection, verb: str, role: str) -> None:
    """grant (or revoke) select on okr_access and the marts, and usage of their schema."""
    quote = conn.dialect.identifier_preparer.quote
    to = "to" if verb == "grant" else "from"
    schema: str = conn.execute(sa.text("select current_schema()")).scalar_one()
    if verb == "grant":
        conn.exec_driver_sql(f"grant usage on schema {quote(schema)} to {quote(role)}")
    for table in _tables(conn):
        conn.exec_driver_sql(f"{verb} select on {quote(table)} {to} {quote(role)}")


def grant(url: str, role: str, client: str | None) -> str:
    """Let `role` read the marts' rows of `client` (None: every client)."""
    with _store(url) as store:
        store.init()
        try:
            with store.engine.begin() as conn:
                _role(conn, role)
                if client is not None:
                    _client(conn, client)
                if conn.execute(sa.select(okr_access).where(_matching(role, client))).first():
                    return f"role {role!r} already reads {_what(client)}; nothing changed"
                conn.execute(
                    okr_access.insert().values(
                        role_name=role, client_id=client, granted_at=utc_now()
                    )
                )
                _privileges(conn, "grant", role)
        except sa.exc.DBAPIError as err:
            raise translate(err, url) from None
    return f"role {role!r} now reads {_what(client)} in the marts of {display(url)}"


def revoke(url: str, role: str, client: str | None) -> str:
    """Take back a grant; a role left without any loses select on the marts too."""
    with _store(url) as store:
        store.init()
        try:
            with store.engine.begin() as conn:
                removed = conn.execute(okr_access.delete().where(_matching(role, client)))
                if not removed.rowcount:
                    return f"role {role!r} had no grant for {_what(client)}; nothing changed"
                left = conn.execute(
                    sa.select(sa.func.count()).where(okr_access.c.role_name == role)
                ).scalar_one()
                exists = conn.execute(
                    sa.text("select 1 from pg_catalog.pg_roles where rolname = :role"),
                    {"role": role},
                ).first()
                if not left and exists:
                    _privileges(conn, "revoke", role)
        except sa.exc.DBAPIError as err:
            raise translate(err, url) from None
    return f"role {role!r} no longer reads {_what(client)} in the marts of {display(url)}"


def grants(url: str) -> list[Grant]:
    """Every grant, by role, then client (every client first)."""
    with _store(url) as store:
        store.init()
        try:
            with store.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(okr_access).order_by(
                        okr_access.c.role_name, okr_access.c.client_id.nulls_first()
                    )
                )
                return [Grant(r.role_name, r.client_id, r.granted_at) for r in rows]
        except sa.exc.DBAPIError as err:
            raise translate(err, url) from None
