{#-
    A KPI's value from partial aggregates of its observations, by the KPI's aggregation rule:
    sum, avg (total / count), min, max, count, or last (latest observation; across segments the
    sum of each segment's latest, which the caller passes as last_value).
-#}
{% macro okr_aggregate_by_rule(aggregation, total, observation_count, minimum, maximum, last_value) -%}
    case {{ aggregation }}
        when 'sum' then {{ total }}
        when 'avg' then {{ okr_safe_divide(total, observation_count) }}
        when 'min' then {{ minimum }}
        when 'max' then {{ maximum }}
        when 'count' then cast({{ observation_count }} as {{ okr_type_double() }})
        when 'last' then {{ last_value }}
    end
{%- endmacro %}

{#- The rollup grains, each with the step to the period before it (PostgreSQL has no quarter interval). -#}
{% macro okr_kpi_grains() -%}
    {{ return([
        {'name': 'day', 'datepart': 'day', 'step': 1},
        {'name': 'week', 'datepart': 'day', 'step': 7},
        {'name': 'month', 'datepart': 'month', 'step': 1},
        {'name': 'quarter', 'datepart': 'month', 'step': 3},
        {'name': 'year', 'datepart': 'month', 'step': 12},
    ]) }}
{%- endmacro %}

{#- A non-null key for a segment ('s:' || segment, '-' for none): joins and merges on it work
    where null = null would not. -#}
{% macro okr_segment_key(segment) -%}
    coalesce('s:' || {{ segment }}, '-')
{%- endmacro %}
