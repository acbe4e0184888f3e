{#-
    Every day from first_day to last_day, both included, one row each (date_day); no row when
    first_day is later or null. first_day and last_day are scalar SQL expressions: a literal, a
    macro's expression or a scalar subquery. Dispatched, so that an engine without
    generate_series can bring its own.
-#}
{% macro okr_day_spine(first_day, last_day) -%}
    {{ return(adapter.dispatch('okr_day_spine', 'okr_plugin')(first_day, last_day)) }}
{%- endmacro %}

{% macro default__okr_day_spine(first_day, last_day) -%}
    select cast(day_start as date) as date_day
    from generate_series(
        cast({{ first_day }} as {{ dbt.type_timestamp() }}),
        cast({{ last_day }} as {{ dbt.type_timestamp() }}),
        interval '1 day'
    ) as spine (day_start)
{%- endmacro %}

{#- Spark has no generate_series; sequence() counts down when first_day is later, so it only
    runs when first_day <= last_day (explode of null gives no row). -#}
{% macro spark__okr_day_spine(first_day, last_day) -%}
    select date_day
    from (
        select explode(
            case
                when cast({{ first_day }} as date) <= cast({{ last_day }} as date)
                    then sequence(cast({{ first_day }} as date), cast({{ last_day }} as date), interval 1 day)
            end
        ) as date_day
    ) as spine
{%- endmacro %}
