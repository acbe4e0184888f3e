{#-
    The daily marts (okr_key_result_daily, okr_objective_daily) are incremental without `as_of`:
    each run deletes its rows from the first day of int_okr__daily_slices and inserts the days
    listed there (a plain table when built with `as_of`, or with --full-refresh). Their text
    columns are cast to varchar, the contract's type: on PostgreSQL dbt.type_string() is text,
    which on_schema_change would take for a change of type on every incremental run.
-#}
{% macro okr_daily_config() -%}
    {{ config(
        materialized='incremental' if var('as_of') is none else 'table',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where date_day >="
            ~ " (select min(date_day) from {{ ref('int_okr__daily_slices') }}){% endif %}",
    ) }}
{%- endmacro %}
