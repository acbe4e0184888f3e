{#-
    What Apache Spark (dbt-spark) needs beyond the dispatched macros of the other files: the
    incremental strategies per table format, and the session's settings. All of it is in the
    okr_plugin namespace, so a host project that installs the package builds on Spark as it is.
-#}

{#-
    The incremental configuration (strategy and unique_key) of a model that replaces whole days
    (date_day), by engine. Elsewhere: default_strategy (delete+insert uses unique_key). On Spark,
    by var('okr_spark_file_format'): a format with MERGE (delta, iceberg, hudi) merges on
    unique_key; Parquet and the other plain formats, which can neither delete nor merge,
    overwrite the partitions (days) the run produces, so the run must produce every row of each
    day it touches.
-#}
{% macro okr_incremental_config(default_strategy, unique_key) -%}
    {{ return(adapter.dispatch('okr_incremental_config', 'okr_plugin')(default_strategy, unique_key)) }}
{%- endmacro %}

{% macro default__okr_incremental_config(default_strategy, unique_key) -%}
    {{ return({'incremental_strategy': default_strategy, 'unique_key': unique_key}) }}
{%- endmacro %}

{% macro spark__okr_incremental_config(default_strategy, unique_key) -%}
    {%- set file_format = var('okr_spark_file_format') -%}
    {%- if file_format in ['delta', 'iceberg', 'hudi'] -%}
        {{ return({'file_format': file_format, 'incremental_strategy': 'merge', 'unique_key': unique_key}) }}
    {%- else -%}
        {{ return({
            'file_format': file_format, 'incremental_strategy': 'insert_overwrite',
            'partition_by': ['date_day'], 'unique_key': unique_key}) }}
    {%- endif -%}
{%- endmacro %}

{#- Whether this engine's incremental runs overwrite whole days (see okr_incremental_config). -#}
{% macro okr_replaces_whole_days() -%}
    {{ return(okr_incremental_config('delete+insert', none).get('incremental_strategy') == 'insert_overwrite') }}
{%- endmacro %}

{#-
    Pre-hook of the daily marts on Spark, the first half of okr_replace_slices (okr_daily.sql):
    on an incremental run, remove every day from the first slice of this run (int_okr__slices)
    on, so that a day on which nothing is active any more does not keep its old rows; the
    incremental strategy then writes this run's days. Parquet: drop those days' partitions
    (Spark drops partitions by equality only, so the days are listed first); a format with
    DELETE: delete them. Nothing elsewhere (okr_replace_slices does it), on a first or full
    build, or with nothing to remove.
-#}
{% macro okr_clear_replaced_days() -%}
    {{ return(adapter.dispatch('okr_clear_replaced_days', 'okr_plugin')()) }}
{%- endmacro %}

{% macro default__okr_clear_replaced_days() -%}
{%- endmacro %}

{% macro spark__okr_clear_replaced_days() -%}
    {%- if execute and is_incremental() -%}
        {%- set first_day = run_query(
            'select cast(min(date_day) as string) from ' ~ ref('int_okr__slices')).columns[0].values()[0] -%}
        {%- if first_day is not none -%}
            {%- if okr_replaces_whole_days() -%}
                {%- set days = run_query(
                    'select distinct cast(date_day as string) from ' ~ this
                    ~ " where date_day >= date'" ~ first_day ~ "' order by 1").columns[0].values() -%}
                {%- if days | length > 0 -%}
                    alter table {{ this }} drop if exists
                    {%- for day in days %} partition (date_day = '{{ day }}'){{ ',' if not loop.last }}{% endfor %}
                {%- endif -%}
            {%- else -%}
                delete from {{ this }} where date_day >= date'{{ first_day }}'
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#-
    Pre-hooks of every model (dbt_project.yml): settings of the engine's session. Nothing
    elsewhere. Spark stops a WITH RECURSIVE at 100 levels and 1,000,000 rows by default; the
    alignment walks go okr_max_alignment_depth levels deep, and the score walk
    (int_okr__objective_scores) has a row per slice, objective and ancestor, over a million on
    a few years of daily history.
-#}
{% macro okr_session_setting(name) -%}
    {{ return(adapter.dispatch('okr_session_setting', 'okr_plugin')(name)) }}
{%- endmacro %}

{% macro default__okr_session_setting(name) -%}
{%- endmacro %}

{% macro spark__okr_session_setting(name) -%}
    {%- if name == 'recursion_levels' -%}
        set spark.sql.cteRecursionLevelLimit = {{ [100, var('okr_max_alignment_depth') | int + 2] | max }}
    {%- elif name == 'recursion_rows' -%}
        set spark.sql.cteRecursionRowLimit = -1
    {%- endif -%}
{%- endmacro %}

{#-
    Whether okr_kpi_rollups can be incremental on this engine: it replaces periods with dbt's
    delete+insert on its row key and moves is_complete with an UPDATE (a post-hook), neither of
    which Parquet tables on Spark can do; there it is a plain table. Built with `as_of` it is a
    plain table everywhere.
-#}
{% macro okr_rollups_incremental() -%}
    {{ return(var('as_of') is none and adapter.dispatch('okr_rollups_incremental', 'okr_plugin')()) }}
{%- endmacro %}

{% macro default__okr_rollups_incremental() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__okr_rollups_incremental() -%}
    {{ return(false) }}
{%- endmacro %}
