{#-
    Per-client access to the marts on PostgreSQL (okr access; README, "Sharing with clients").
    A post-hook of every mart, run in the transaction that builds it (or adds to it), so a mart
    is never visible without what follows, and every run puts it back whatever was changed by
    hand:
    - row-level security with one policy, okr_client_rows: a role sees the rows of the clients
      it was granted in okr_access (every row when granted all clients); any other policy on
      the mart is dropped. The owner that builds the marts reads every row.
    - no column statistics on the mart and okr_access: PostgreSQL's comparison operators are
      leakproof, so the planner's row estimates for a client's query would be drawn from every
      client's values (EXPLAIN would tell another client's titles and numbers). Statistics
      targets are 0, and a mart's statistics gathered before (an incremental mart built by an
      older okr) are removed.
    - select on every column (not on the table, whose system columns would tell where other
      clients' rows lie) for every role named in okr_access.
    Without okr_access (input tables not created by okr init) nobody is granted and the hook
    does nothing. Nothing on DuckDB and Spark, which have no row-level security: publish a file
    per client there (okr publish --client).
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
        name text;
    begin
        -- no okr_access (the input tables were not made by okr init): nobody is granted
        if to_regclass({{ dbt.string_literal(dbt.escape_single_quotes(access)) }}) is null then
            return;
        end if;
        execute format('alter table %s enable row level security', {{ mart }});
        for name in
            select polname from pg_catalog.pg_policy where polrelid = {{ mart }}::regclass
        loop
            execute format('drop policy %I on %s', name, {{ mart }});
        end loop;
        -- before the policy, which would keep client_id's type from being re-declared
        {{ _okr_no_statistics(mart) }}
        {{ _okr_no_statistics(dbt.string_literal(dbt.escape_single_quotes(access)), drop_gathered=false) }}
        execute format(
            'create policy okr_client_rows on %s for select using ('
            ' client_id in (select client_id from {{ dbt.escape_single_quotes(access) }})'
            ' or exists (select 1 from {{ dbt.escape_single_quotes(access) }}'
            ' where client_id is null))',
            {{ mart }}
        );
        -- select on the columns, not the table: the system columns (ctid, xmin) would tell
        -- where other clients' rows lie between a client's own
        select string_agg(quote_ident(attname), ', ' order by attnum) into name
        from pg_catalog.pg_attribute
        where attrelid = {{ mart }}::regclass and attnum > 0 and not attisdropped;
        for grantee in
            select distinct a.role_name
            from {{ access }} as a
            inner join pg_catalog.pg_roles as r on r.rolname = a.role_name
        loop
            execute format('revoke select on %s from %I', {{ mart }}, grantee);
            execute format('grant select (%s) on %s to %I', name, {{ mart }}, grantee);
        end loop;
    end
    $okr_access$
{%- endmacro %}

{#- PL/pgSQL statements (inside the hook's block, which declares `name`): statistics target 0 on
    every column of the table (a text literal), and with drop_gathered the statistics gathered
    before removed by re-declaring each column's own type (which PostgreSQL does without
    rewriting the table, and refuses for a column a policy names). okr_access's policies name
    its columns: okr init creates it with statistics targets 0. -#}
{% macro _okr_no_statistics(table, drop_gathered=true) -%}
        for name in
            select attname from pg_catalog.pg_attribute
            where attrelid = {{ table }}::regclass and attnum > 0 and not attisdropped
              and attstattarget is distinct from 0  -- null: the default, from PostgreSQL 17
        loop
            execute format('alter table %s alter column %I set statistics 0', {{ table }}, name);
        end loop;
        {%- if drop_gathered %}
        for name in
            select format('alter table %s alter column %I type %s', {{ table }}, a.attname,
                          pg_catalog.format_type(a.atttypid, a.atttypmod))
            from pg_catalog.pg_attribute as a
            where a.attrelid = {{ table }}::regclass and a.attnum > 0 and not a.attisdropped
              and exists (
                  select 1 from pg_catalog.pg_stats as s
                  inner join pg_catalog.pg_class as c on c.relname = s.tablename
                  inner join pg_catalog.pg_namespace as n
                      on n.oid = c.relnamespace and n.nspname = s.schemaname
                  where c.oid = a.attrelid and s.attname = a.attname
              )
        loop
            begin
                execute name;
            exception when feature_not_supported then  -- a view depends on the column
                raise exception 'okr: % has column statistics from before okr removed them (a'
                    ' client could read other clients'' values from them through explain), and'
                    ' a view depends on it, so they cannot be removed: drop the view for one'
                    ' okr build --full-refresh, then create it again', {{ table }};
            end;
        end loop;
        {%- endif %}
{%- endmacro %}
