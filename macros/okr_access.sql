{#-
    Per-client access to the marts on PostgreSQL (okr access; README, "Sharing with clients").
    A post-hook of every mart, run in the transaction that builds it, so a rebuilt table is
    never visible without its policy: row-level security shows a role the rows of the clients
    it was granted in okr_access (every row when granted all clients), and every role named
    there gets select on the mart. okr_access shows each role its own grants only. The owner
    that builds the marts reads every row. Without okr_access (input tables not created by
    okr init) nobody is granted and the hook does nothing. Nothing on DuckDB and Spark, which
    have no row-level security: publish a file per client there (okr publish --client).
-#}
{% macro okr_client_access() -%}
    {{ return(adapter.dispatch('okr_client_access', 'okr_plugin')()) }}
{%- endmacro %}

{% macro default__okr_client_access() -%}
{%- endmacro %}

{% macro postgres__okr_client_access() -%}
    {%- set access = adapter.quote(var('okr_events_schema') or target.schema) ~ '.okr_access' %}
    {%- set mart = dbt.string_literal(dbt.escape_single_quotes(this | string)) %}
    do $okr_access$
    declare
        grantee text;
    begin
        -- no okr_access (the input tables were not made by okr init): nobody is granted
        if to_regclass({{ dbt.string_literal(dbt.escape_single_quotes(access)) }}) is null then
            return;
        end if;
        -- once per table: a rebuilt table is new, an incremental one keeps them (and its
        -- readers are not made to wait for an exclusive lock on every run)
        if not exists (
            select 1 from pg_catalog.pg_class
            where oid = {{ mart }}::regclass and relrowsecurity
        ) then
            execute format('alter table %s enable row level security', {{ mart }});
        end if;
        if not exists (
            select 1 from pg_catalog.pg_policy
            where polrelid = {{ mart }}::regclass and polname = 'okr_client_rows'
        ) then
            execute format(
                'create policy okr_client_rows on %s for select using ('
                ' client_id in (select client_id from {{ dbt.escape_single_quotes(access) }})'
                ' or exists (select 1 from {{ dbt.escape_single_quotes(access) }}'
                ' where client_id is null))',
                {{ mart }}
            );
        end if;
        for grantee in
            select distinct a.role_name
            from {{ access }} as a
            inner join pg_catalog.pg_roles as r on r.rolname = a.role_name
        loop
            execute format('grant select on %s to %I', {{ mart }}, grantee);
        end loop;
    end
    $okr_access$
{%- endmacro %}
