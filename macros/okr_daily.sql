{#-
    The daily marts (okr_key_result_daily, okr_objective_daily): switched off with
    okr_daily_history: false. Incremental without `as_of`, by okr_replace_slices below (a plain
    table when built with `as_of` or with --full-refresh). Their columns are cast to the
    contract's types (okr_contract_columns), so an incremental run's rows have the stored
    table's types, which on_schema_change compares.
-#}
{% macro okr_daily_mart(unique_key) -%}
    {{ config(
        enabled=var('okr_daily_history'),
        materialized='incremental' if var('as_of') is none else 'table',
        on_schema_change='fail',
        pre_hook="{{ okr_clear_replaced_days() }}",
        **okr_incremental_config('okr_replace_slices', unique_key)
    ) }}
{%- endmacro %}

{#-
    The daily marts' incremental strategy: delete every day from the first slice of this run on
    (int_okr__slices), then insert the new rows. Unlike delete+insert on a key, it also clears a
    day on which nothing is active any more. dbt-spark takes no custom strategy: on Spark a
    pre-hook (okr_clear_replaced_days, okr_spark.sql) removes those days, then the strategy of
    okr_incremental_config writes the new ones (unique_key: a row's key, for MERGE).
-#}
{% macro get_incremental_okr_replace_slices_sql(arg_dict) -%}
    delete from {{ arg_dict['target_relation'] }}
    where date_day >= (select min(date_day) from {{ ref('int_okr__slices') }});
    {{ get_delete_insert_merge_sql(
        arg_dict['target_relation'], arg_dict['temp_relation'], none, arg_dict['dest_columns'], none) }}
{%- endmacro %}



{#-
    The rows of the previous build of int_okr__slices, which it reads before replacing them: the
    relation itself. On Spark the table materialization drops a plain (Parquet) table before
    it creates the new one, and Spark refuses to overwrite a table the query reads: the
    previous build's last day and watermarks (all that int_okr__slices reads of it) are read
    first and written into the query as one row of literals.
-#}
{% macro okr_previous_rows(previous) -%}
    {{ return(adapter.dispatch('okr_previous_rows', 'okr_plugin')(previous)) }}
{%- endmacro %}

{% macro default__okr_previous_rows(previous) -%}
    {{ return(previous) }}
{%- endmacro %}

{% macro spark__okr_previous_rows(previous) -%}
    {%- set columns = {
        'date_day': 'date',
        'built_through_event_no': dbt.type_bigint(),
        'built_through_observation_no': dbt.type_bigint(),
        'built_through_recorded_at': dbt.type_timestamp()} -%}
    {%- set maxima = [] -%}
    {%- for name in columns -%}
        {%- do maxima.append('cast(max(' ~ name ~ ') as string)') -%}
    {%- endfor -%}
    {%- set row = run_query('select ' ~ maxima | join(', ') ~ ' from ' ~ previous).rows[0] -%}
    (
        select
        {%- for name, type in columns.items() %}
            {% if row[loop.index0] is none %}cast(null as {{ type }}){% else %}cast('{{ row[loop.index0] }}' as {{ type }}){% endif %} as {{ name }}
            {{- ',' if not loop.last }}
        {%- endfor %}
    ) as previous_rows
{%- endmacro %}
