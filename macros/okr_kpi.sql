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

{#- The start of the period `steps` periods after (before, when negative) the one starting at
    `period_start`, of the rollup grain in the column `grain`. -#}
{% macro okr_kpi_period_after(grain, period_start, steps) -%}
    case {{ grain }}
        {%- for g in okr_kpi_grains() %}
        when '{{ g.name }}' then cast({{ okr_dateadd(g.datepart, g.step * steps, period_start) }} as date)
        {%- endfor %}
    end
{%- endmacro %}

{#- Whether a period whose next one starts at `next_start` has ended by `as_of`. -#}
{% macro okr_period_is_complete(next_start) -%}
    {{ next_start }} <= {{ okr_dateadd('microsecond', 1, okr_as_of()) }}
{%- endmacro %}

{#- okr_kpi_rollups on an incremental run: whether a row of `relation` belongs to a period in
    `periods` (a relation of client_id, kpi_id, grain, period_start) or to a KPI in
    `redefined`. -#}
{% macro okr_kpi_rollups_selected(periods, relation) -%}
    exists (
        select 1 from {{ periods }} as selected
        where selected.client_id = {{ relation }}.client_id
            and selected.kpi_id = {{ relation }}.kpi_id
            and selected.grain = {{ relation }}.grain
            and selected.period_start = {{ relation }}.period_start
    )
    or exists (
        select 1 from redefined
        where redefined.client_id = {{ relation }}.client_id
            and redefined.kpi_id = {{ relation }}.kpi_id
    )
{%- endmacro %}

{#- Post-hook of okr_kpi_rollups on an incremental run: the rows it did not recompute describe
    this run's moment too, and a period that ended since turns complete. -#}
{% macro okr_kpi_rollups_to_now() -%}
    {%- if is_incremental() %}
    update {{ this }}
    set
        as_of_at = {{ okr_as_of() }},
        is_complete = {{ okr_period_is_complete(okr_dateadd('day', 1, 'period_end')) }}
    where as_of_at <> {{ okr_as_of() }}
    {%- endif %}
{%- endmacro %}
