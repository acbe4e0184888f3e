{#-
    Per-client access to the marts on PostgreSQL (okr access; README, "Sharing with clients").
    A post-hook of every mart, run in the transaction that builds it, so a rebuilt table is
    never visible without its policy: row-level security shows a role the rows of the clients
    it was granted in okr_access (every row when granted all clients), and every role named
    there gets select on the mart. okr_access shows each role its own grants only. The owner
    that builds the marts reads every row. Nothing on DuckDB and Spark, which have no
    row-level security: publish a file per client there (okr publish --client).
-#}
{% macro okr_client_access() -%}
    {{ return(adapter.dispatch('okr_client_access', 'okr_plugin')()) }}
{%- endmacro %}

{% macro default__okr_client_access() -%}
{%- endmacro %}

{% macro postgres__okr_client_access() -%}
    {%- set access = adapter.quote(var('okr_events_schema') or target.schema) ~ '.okr_access' %}
    alter table {{ this }} enable row level security;
    drop policy if exists okr_client_rows on {{ this }};
    create policy okr_client_rows on {{ this }} for select using (
        client_id in (select client_id from {{ access }})
        or exists (select 1 from {{ access }} where client_id is null)
    );
    do $okr_grants$
    declare
        grantee text;
    begin
        for grantee in
            select distinct a.role_name
            from {{ access }} as a
            inner join pg_catalog.pg_roles as r on r.rolname = a.role_name
        loop
            execute format(
                'grant select on %s to %I',
                {{ dbt.string_literal(dbt.escape_single_quotes(this | string)) }},
                grantee
            );
        end loop;
    end
    $okr_grants$
{%- endmacro %}
