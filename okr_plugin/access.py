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

from .backends import backend_for
from .errors import StoreError
from .events import InvalidEvent, identifier, utc_now
from .resources import mart_names
from .schema import okr_access
from .store import Store
from .warehouse import display, translate

MAX_ROLE_BYTES = 63  # PostgreSQL's longest identifier; a longer name is cut, not refused


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
    """The store of a warehouse whose row-level security okr access manages."""
    reason = backend_for(url).access_instead
    if reason is not None:
        raise StoreError(reason)
    return Store(url)


# What a role must not have for row-level security to keep it to its clients, by reason.
# "here": the schema of the marts and of okr's tables; "owners": the role running okr and the
# owner of okr's tables, whom row-level security does not restrict.
ROLE_CHECK = """
with here as (select oid from pg_catalog.pg_namespace where nspname = current_schema()),
owners as (
    select oid from pg_catalog.pg_roles where rolname = current_user
    union
    select relowner from pg_catalog.pg_class where oid = to_regclass('okr_events')
),
tables as (
    select c.oid, c.relname, c.relowner, c.relname = any(:marts) as is_mart
    from pg_catalog.pg_class as c
    where c.relnamespace = (select oid from here) and c.relkind in ('r', 'v', 'm', 'p', 'f')
)
select
    r.rolsuper or r.rolbypassrls as bypasses,
    exists (
        select 1 from owners where pg_catalog.pg_has_role(r.oid, owners.oid, 'MEMBER')
    ) or exists (
        select 1 from tables where pg_catalog.pg_has_role(r.oid, tables.relowner, 'MEMBER')
    ) as owns,
    r.rolcreaterole as creates_roles,
    (
        select string_agg(d.rolname, ', ' order by d.rolname) from pg_catalog.pg_roles as d
        where d.rolname in (
                'pg_read_all_data', 'pg_write_all_data', 'pg_read_all_stats', 'pg_monitor',
                'pg_signal_backend', 'pg_read_server_files', 'pg_write_server_files',
                'pg_execute_server_program', 'pg_maintain')
          and pg_catalog.pg_has_role(r.oid, d.oid, 'MEMBER')
    ) as predefined,
    pg_catalog.has_schema_privilege(r.oid, current_schema(), 'CREATE') as creates_objects,
    (
        select string_agg(p.oid::regprocedure::text, ', ' order by p.oid::regprocedure::text)
        from pg_catalog.pg_proc as p
        where p.prosecdef
          and p.proowner in (select oid from owners)
          and pg_catalog.has_function_privilege(r.oid, p.oid, 'EXECUTE')
    ) as runs_as_owner,
    (
        select string_agg(relname, ', ' order by relname) from tables
        where pg_catalog.has_table_privilege(
                r.oid, oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           or pg_catalog.has_any_column_privilege(r.oid, oid, 'INSERT, UPDATE, REFERENCES')
           -- from PostgreSQL 17: maintain lets a role lock a table against every reader
           or case when pg_catalog.current_setting('server_version_num')::int >= 170000
                   then pg_catalog.has_table_privilege(r.oid, oid, 'MAINTAIN') else false end
    ) as writes,
    (
        select string_agg(relname, ', ' order by relname) from tables
        where not is_mart and pg_catalog.has_any_column_privilege(r.oid, oid, 'SELECT')
    ) as reads,
    exists (
        select 1
        from pg_catalog.pg_default_acl as a, pg_catalog.aclexplode(a.defaclacl) as x
        where a.defaclobjtype = 'r'
          and a.defaclrole in (select oid from owners)
          and a.defaclnamespace in (0, (select oid from here))
          and (x.grantee = 0 or pg_catalog.pg_has_role(r.oid, x.grantee, 'MEMBER'))
    ) as reads_new_tables
from pg_catalog.pg_roles as r
where r.rolname = :role
"""
MISSING = "does not exist"
REASONS = {
    "bypasses": "is a superuser or has bypassrls, so row-level security does not apply to it",
    "owns": "may act as the owner of okr's tables, whom row-level security does not restrict",
    "creates_roles": "has createrole, so it could make itself a member of another client's role",
    "creates_objects": "may create objects in the schema of the marts (revoke that first)",
    "reads_new_tables": "gets privileges on new tables by the default privileges of okr's owner"
    " (every build makes new tables)",
}
# The timeouts okr access grant gives a client role (seconds; README, "Sharing with clients").
IDLE_TIMEOUT = 60
STATEMENT_TIMEOUT = 300


def _role_problem(conn: sa.Connection, role: str) -> str | None:
    """Why row-level security would not keep `role` to its clients; None when it would."""
    found = conn.execute(
        sa.text(ROLE_CHECK), {"role": role, "marts": ["okr_access", *mart_names()]}
    ).first()
    if found is None:
        return MISSING
    reason = next((reason for name, reason in REASONS.items() if getattr(found, name)), None)
    if reason is None and found.predefined:
        reason = f"is a member of {found.predefined}, which reach past row-level security"
    if reason is None and found.runs_as_owner:
        reason = f"may run {found.runs_as_owner}, which runs with the owner's rights (revoke that)"
    if reason is None and found.reads:
        reason = f"can read {found.reads}, or columns of it (revoke that first)"
    if reason is None and found.writes:
        reason = (
            f"holds more than select on {found.writes} (write, truncate, references,"
            " trigger or maintain; revoke that first)"
        )
    return reason


def _check_role(conn: sa.Connection, role: str) -> None:
    """A name PostgreSQL keeps whole, of a role that exists and that row-level security keeps
    to its clients; else a one-line error."""
    if not role.strip() or any(ord(ch) < 32 for ch in role):
        raise StoreError(f"--role must be a printable role name, got {role!r}")
    if len(role.encode()) > MAX_ROLE_BYTES:
        raise StoreError(
            f"--role is {len(role.encode())} bytes long; PostgreSQL role names are at most"
            f" {MAX_ROLE_BYTES}"
        )
    problem = _role_problem(conn, role)
    if problem == MISSING:
        raise StoreError(
            f"there is no role {role!r} on this server: create it first"
            " (create role ... login password '...'), then grant it access"
        )
    if problem:
        raise StoreError(
            f"role {role!r} {problem}: it would read other clients' rows; grant a role that"
            " may only read what okr access gives it"
        )


def _check_client(conn: sa.Connection, client: str) -> None:
    """An id that okr_events or okr_observations holds; else a one-line error."""
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


def _matching(role: str, client: str | None) -> sa.ColumnElement[bool]:
    same_client = (
        okr_access.c.client_id.is_(None) if client is None else okr_access.c.client_id == client
    )
    return sa.and_(okr_access.c.role_name == role, same_client)


def _unprotected(conn: sa.Connection) -> list[str]:
    """The built marts without their row-level security (built before okr access existed)."""
    return list(
        conn.execute(
            sa.text(
                "select c.relname from pg_catalog.pg_class as c"
                " inner join pg_catalog.pg_namespace as n on n.oid = c.relnamespace"
                " where n.nspname = current_schema()"
                " and c.relname = any(:marts) and not (c.relrowsecurity and exists ("
                "  select 1 from pg_catalog.pg_policy as p"
                "  where p.polrelid = c.oid and p.polname = 'okr_client_rows'))"
                " order by c.relname"
            ),
            {"marts": mart_names()},
        ).scalars()
    )


def _tables(conn: sa.Connection) -> list[str]:
    """okr_access and the marts built so far (a mart built later grants select itself)."""
    inspector = sa.inspect(conn)
    return ["okr_access", *(name for name in mart_names() if inspector.has_table(name))]


def _privileges(conn: sa.Connection, verb: str, role: str) -> None:
    """grant (or revoke) select on the columns of okr_access and the marts (not on the tables,
    whose system columns ctid and xmin would tell where other clients' rows lie), and usage of
    their schema. Revoking select on a table revokes it on its columns too."""
    quote = conn.dialect.identifier_preparer.quote
    schema: str = conn.execute(sa.text("select current_schema()")).scalar_one()
    if verb == "grant":
        conn.exec_driver_sql(f"grant usage on schema {quote(schema)} to {quote(role)}")
    inspector = sa.inspect(conn)
    for table in _tables(conn):
        conn.exec_driver_sql(f"revoke select on {quote(table)} from {quote(role)}")
        if verb == "grant":
            columns = ", ".join(quote(c["name"]) for c in inspector.get_columns(table))
            conn.exec_driver_sql(f"grant select ({columns}) on {quote(table)} to {quote(role)}")


def _timeouts(conn: sa.Connection, role: str, idle: int, statement: int) -> None:
    """End the role's sessions that sit in an open transaction for `idle` seconds and its
    statements after `statement` seconds (0: never), so that it cannot hold up builds."""
    quote = conn.dialect.identifier_preparer.quote
    try:
        for setting, seconds in (
            ("idle_in_transaction_session_timeout", idle),
            ("statement_timeout", statement),
        ):
            conn.exec_driver_sql(f"alter role {quote(role)} set {setting} = '{seconds}s'")
    except sa.exc.DBAPIError as err:
        if getattr(err.orig, "sqlstate", None) != "42501":
            raise
        raise StoreError(
            f"okr access grant sets the timeouts of role {role!r} (alter role ... set), which"
            " needs createrole or superuser: grant as such a role"
        ) from None


def grant(
    url: str,
    role: str,
    client: str | None,
    idle_timeout: int = IDLE_TIMEOUT,
    statement_timeout: int = STATEMENT_TIMEOUT,
) -> str:
    """Let `role` read the marts' rows of `client` (None: every client), with the timeouts
    that keep it from holding up builds."""
    with _store(url) as store:
        store.init()
        try:
            with store.engine.begin() as conn:
                _check_role(conn, role)
                if client is not None:
                    _check_client(conn, client)
                unprotected = _unprotected(conn)
                if unprotected:
                    raise StoreError(
                        f"{unprotected[0]} has no row-level security yet (built before okr"
                        " access, or changed by hand): run okr build, then grant"
                    )
                if conn.execute(sa.select(okr_access).where(_matching(role, client))).first():
                    _timeouts(conn, role, idle_timeout, statement_timeout)
                    return (
                        f"role {role!r} already reads {_what(client)}; its timeouts are set,"
                        " nothing else changed"
                    )
                conn.execute(
                    okr_access.insert().values(
                        role_name=role, client_id=client, granted_at=utc_now()
                    )
                )
                _privileges(conn, "grant", role)
                _timeouts(conn, role, idle_timeout, statement_timeout)
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


def _granted_roles_of(conn: sa.Connection, role: str, granted: list[str]) -> list[str]:
    """The other granted roles whose rights `role` has by membership."""
    return list(
        conn.execute(
            sa.text(
                "select b.rolname from pg_catalog.pg_roles as a, pg_catalog.pg_roles as b"
                " where a.rolname = :role and b.rolname = any(:granted) and b.oid <> a.oid"
                " and pg_catalog.pg_has_role(a.oid, b.oid, 'MEMBER') order by b.rolname"
            ),
            {"role": role, "granted": granted},
        ).scalars()
    )


def grants(url: str) -> tuple[list[Grant], list[str]]:
    """Every grant, by role, then client (every client first); and a warning for each role
    that row-level security would no longer keep to its clients (a privilege given since)."""
    with _store(url) as store:
        try:
            with store.engine.connect() as conn:
                if not sa.inspect(conn).has_table("okr_access"):
                    return [], []
                rows = conn.execute(
                    sa.select(okr_access).order_by(
                        okr_access.c.role_name, okr_access.c.client_id.nulls_first()
                    )
                )
                found = [Grant(r.role_name, r.client_id, r.granted_at) for r in rows]
                warnings = []
                roles = sorted({grant.role for grant in found})
                for role in roles:
                    problem = _role_problem(conn, role)
                    if problem:
                        warnings.append(f"warning: role {role!r} {problem}")
                    for other in _granted_roles_of(conn, role, roles):
                        warnings.append(
                            f"warning: role {role!r} is a member of role {other!r}, so it also"
                            f" reads what {other!r} was granted"
                        )
                return found, warnings
        except sa.exc.DBAPIError as err:
            raise translate(err, url) from None
