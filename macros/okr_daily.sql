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

{#- What a daily mart's rows were built from: the highest sequence numbers of the goal events and
    observations, and the latest recorded_at of the observations, visible to the build. The next
    incremental build recomputes from the day anything appended after them became known. -#}
{% macro okr_daily_lineage_columns() -%}
    cast((select max(sequence_no) from {{ ref('stg_okr__events') }}) as {{ dbt.type_bigint() }}) as built_through_event_no,
    cast((select max(sequence_no) from {{ ref('stg_okr__observations') }}) as {{ dbt.type_bigint() }}) as built_through_observation_no,
    cast((select max(recorded_at) from {{ ref('stg_okr__observations') }}) as {{ dbt.type_timestamp() }}) as built_through_recorded_at
{%- endmacro %}
