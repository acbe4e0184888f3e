{#-
    Replaying an entity's events into versions (the *_versions models): each version holds, for
    every field, the value of the latest event (in replay order) that set it. An update event
    carries only the fields it changes (nulls elsewhere), so the state after it is "last
    non-null value so far". Portable: IGNORE NULLS is not on every engine, so each field counts
    its non-null values so far (okr_carry_forward_groups, a group number) and takes the one value
    of its group (okr_carry_forward_values). On DuckDB, which has IGNORE NULLS, each field takes
    the last non-null value so far in one window, with no groups.

    Every replay runs per slice (date_day, see int_okr__slices), client and entity: the
    relation has the columns of int_okr__slice_events.
-#}
{% macro okr_version_window() -%}
    partition by date_day, client_id, entity_id order by {{ okr_replay_order() }}
{%- endmacro %}

{#- The group columns (field__group), each after a comma, to follow `select *`. -#}
{% macro okr_carry_forward_groups(fields) -%}
    {{ return(adapter.dispatch('okr_carry_forward_groups', 'okr_plugin')(fields)) }}
{%- endmacro %}

{% macro default__okr_carry_forward_groups(fields) -%}
    {%- for field in fields %},
    count({{ field }}) over ({{ okr_version_window() }} rows between unbounded preceding and current row) as {{ field }}__group
    {%- endfor %}
{%- endmacro %}

{#- DuckDB has IGNORE NULLS (okr_carry_forward_values): no groups. -#}
{% macro duckdb__okr_carry_forward_groups(fields) -%}
{%- endmacro %}

{#- Each field's value carried forward; defaults: the value of a field no event has set yet, by
    field (SQL expressions). -#}
{% macro okr_carry_forward_values(fields, defaults={}) -%}
    {%- for field in fields %}
    {%- set value = adapter.dispatch('okr_carry_forward_value', 'okr_plugin')(field) %}
    {% if field in defaults %}coalesce({{ value }}, {{ defaults[field] }}){% else %}{{ value }}{% endif %} as {{ field }}
    {{- ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The one value of the field's group. -#}
{% macro default__okr_carry_forward_value(field) -%}
    max({{ field }}) over (partition by date_day, client_id, entity_id, {{ field }}__group)
{%- endmacro %}

{#- The last non-null value so far: one window for every field, where the groups need a sort
    per field (eighteen times faster on the benchmark's key results). -#}
{% macro duckdb__okr_carry_forward_value(field) -%}
    last_value({{ field }} ignore nulls) over ({{ okr_version_window() }} rows between unbounded preceding and current row)
{%- endmacro %}

{#- Spark has IGNORE NULLS too, written as last_value's second argument. -#}
{% macro spark__okr_carry_forward_groups(fields) -%}
{%- endmacro %}

{% macro spark__okr_carry_forward_value(field) -%}
    last_value({{ field }}, true) over ({{ okr_version_window() }} rows between unbounded preceding and current row)
{%- endmacro %}

{#- True from the first event of type ended_by (removed, archived, retired) on. -#}
{% macro okr_is_ended(ended_by) -%}
    max(case when event_type = '{{ ended_by }}' then 1 else 0 end) over (
        {{ okr_version_window() }} rows between unbounded preceding and current row
    ) = 1
{%- endmacro %}

{#- The envelope of each version, with entity_id named for the entity (objective_id,
    key_result_id, kpi_id). -#}
{% macro okr_version_columns(key) -%}
    date_day,
    client_id,
    entity_id as {{ key }},
    row_number() over ({{ okr_version_window() }}) as version_no,
    event_id,
    event_type,
    occurred_at,
    recorded_at,
    sequence_no,
    occurred_at as valid_from,
    lead(occurred_at) over ({{ okr_version_window() }}) as valid_to
{%- endmacro %}
