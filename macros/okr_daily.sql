{#-
    The daily marts (okr_key_result_daily, okr_objective_daily): switched off with
    okr_daily_history: false. Incremental without `as_of`, by okr_replace_slices below (a plain
    table when built with `as_of` or with --full-refresh). Their text columns are cast to
    varchar, the contract's type: on PostgreSQL dbt.type_string() is text, which
    on_schema_change would take for a change of type on every incremental run.
-#}
{% macro okr_daily_mart() -%}
    {{ config(
        enabled=var('okr_daily_history'),
        materialized='incremental' if var('as_of') is none else 'table',
        incremental_strategy='okr_replace_slices',
        on_schema_change='fail',
    ) }}
{%- endmacro %}

{#-
    The daily marts' incremental strategy: delete every day from the first slice of this run on
    (int_okr__slices), then insert the new rows. Unlike delete+insert on a key, it also clears a
    day on which nothing is active any more.
-#}
{% macro get_incremental_okr_replace_slices_sql(arg_dict) -%}
    delete from {{ arg_dict['target_relation'] }}
    where date_day >= (select min(date_day) from {{ ref('int_okr__slices') }});
    {{ get_delete_insert_merge_sql(
        arg_dict['target_relation'], arg_dict['temp_relation'], none, arg_dict['dest_columns'], none) }}
{%- endmacro %}

{#- The daily marts' lineage: the moment a day is described at, and the watermarks of the build
    that computed it (slices: int_okr__slices joined on the day). -#}
{% macro okr_daily_lineage_columns(slices='slices') -%}
    cast({{ slices }}.known_at as {{ dbt.type_timestamp() }}) as known_at,
    cast({{ slices }}.built_through_event_no as {{ dbt.type_bigint() }}) as built_through_event_no,
    cast({{ slices }}.built_through_observation_no as {{ dbt.type_bigint() }}) as built_through_observation_no,
    cast({{ slices }}.built_through_recorded_at as {{ dbt.type_timestamp() }}) as built_through_recorded_at
{%- endmacro %}
