{#-
    Time arithmetic of the project: dbt.dateadd everywhere (the same SQL), except on Spark,
    where dbt-spark's dateadd goes through Unix seconds: it drops the fraction of a second of
    the timestamp it is given and adds nothing for 'millisecond' or 'microsecond' (an
    `is_complete` compared against as_of plus 1 microsecond came out wrong on the as-of day).
    datepart: day, week, month, quarter, year, hour, minute, second, millisecond, microsecond;
    interval: an SQL expression of a whole number. The result is a timestamp, as dbt.dateadd's.
-#}
{% macro okr_dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{ return(adapter.dispatch('okr_dateadd', 'okr_plugin')(datepart, interval, from_date_or_timestamp)) }}
{%- endmacro %}

{% macro default__okr_dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{ return(dbt.dateadd(datepart, interval, from_date_or_timestamp)) }}
{%- endmacro %}

{#- timestampadd keeps microseconds, clamps month ends like add_months (31 Jan + 1 month is
    28 Feb, as on DuckDB and PostgreSQL), and gives null for null. -#}
{% macro spark__okr_dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- if datepart | lower not in ['day', 'week', 'month', 'quarter', 'year', 'hour', 'minute', 'second', 'millisecond', 'microsecond'] -%}
        {{ exceptions.raise_compiler_error("okr_dateadd: unknown datepart '" ~ datepart ~ "'") }}
    {%- endif -%}
    timestampadd({{ datepart | upper }}, cast(({{ interval }}) as bigint), {{ from_date_or_timestamp }})
{%- endmacro %}

{#-
    dbt.listagg with an order: dbt-spark's ignores the order (with a warning), which would put
    an alignment path's ids in any order; Spark 4 has LISTAGG ... WITHIN GROUP.
-#}
{% macro okr_listagg(measure, delimiter_text, order_by_clause) -%}
    {{ return(adapter.dispatch('okr_listagg', 'okr_plugin')(measure, delimiter_text, order_by_clause)) }}
{%- endmacro %}

{% macro default__okr_listagg(measure, delimiter_text, order_by_clause) -%}
    {{ return(dbt.listagg(measure, delimiter_text, order_by_clause)) }}
{%- endmacro %}

{% macro spark__okr_listagg(measure, delimiter_text, order_by_clause) -%}
    listagg({{ measure }}, {{ delimiter_text }}) within group ({{ order_by_clause }})
{%- endmacro %}
