{#-
    Bounds of a period label: 2026 (year), 2026-H2 (half), 2026-Q3 (quarter), 2026-07 (month).
    Plain SQL on substrings, so it runs on any engine and on events written around the CLI.
-#}
{% macro _okr_period_month_offset(period) -%}
    case
        when length({{ period }}) = 4 then 0
        when substring({{ period }}, 6, 1) = 'H' then (cast(substring({{ period }}, 7, 1) as integer) - 1) * 6
        when substring({{ period }}, 6, 1) = 'Q' then (cast(substring({{ period }}, 7, 1) as integer) - 1) * 3
        else cast(substring({{ period }}, 6, 2) as integer) - 1
    end
{%- endmacro %}

{% macro _okr_period_months(period) -%}
    case
        when length({{ period }}) = 4 then 12
        when substring({{ period }}, 6, 1) = 'H' then 6
        when substring({{ period }}, 6, 1) = 'Q' then 3
        else 1
    end
{%- endmacro %}

{% macro _okr_year_start(period) -%}
    cast(substring({{ period }}, 1, 4) || '-01-01' as date)
{%- endmacro %}

{#- First day of the period (a date). -#}
{% macro okr_period_start(period) -%}
    cast({{ okr_dateadd('month', _okr_period_month_offset(period), _okr_year_start(period)) }} as date)
{%- endmacro %}

{#- Last day of the period, inclusive (a date). -#}
{% macro okr_period_end(period) -%}
    cast({{ okr_dateadd(
        'day', -1,
        okr_dateadd('month', _okr_period_month_offset(period) ~ ' + ' ~ _okr_period_months(period), _okr_year_start(period))
    ) }} as date)
{%- endmacro %}
