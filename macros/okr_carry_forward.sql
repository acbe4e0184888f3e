{#-
    Replays an entity's events into versions: each version holds, for every field, the value of
    the latest event (in replay order) that set it. An update event carries only the fields it
    changes (nulls elsewhere), so the state after it is "last non-null value so far".

    Portable: IGNORE NULLS is not on every engine, so each field counts its non-null values so
    far (a group number) and takes the one value of its group.

    relation: a CTE or relation with client_id, entity_id, event_id, event_type, occurred_at,
    recorded_at, sequence_no and the fields.
    by: extra partition columns, such as ['date_day'] for one replay per day (okr_by).
    ended_by: the event type that ends the entity (removed, archived, retired): each version
    says whether one came by then (is_ended).
-#}
{% macro okr_carry_forward(relation, fields, by=[], ended_by=none) -%}
    select
        {{ okr_by(by) }}
        client_id,
        entity_id,
        event_id,
        event_type,
        occurred_at,
        recorded_at,
        sequence_no,
        row_number() over (partition by {{ okr_by(by) }} client_id, entity_id order by {{ okr_replay_order() }}) as version_no,
        occurred_at as valid_from,
        lead(occurred_at) over (partition by {{ okr_by(by) }} client_id, entity_id order by {{ okr_replay_order() }}) as valid_to,
        {%- if ended_by %}
        max(case when event_type = '{{ ended_by }}' then 1 else 0 end) over (
            partition by {{ okr_by(by) }} client_id, entity_id
            order by {{ okr_replay_order() }}
            rows between unbounded preceding and current row
        ) = 1 as is_ended,
        {%- endif %}
        {%- for field in fields %}
        max({{ field }}) over (partition by {{ okr_by(by) }} client_id, entity_id, {{ field }}__group) as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            *,
            {%- for field in fields %}
            count({{ field }}) over (
                partition by {{ okr_by(by) }} client_id, entity_id
                order by {{ okr_replay_order() }}
                rows between unbounded preceding and current row
            ) as {{ field }}__group{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ relation }}
    ) as grouped
{%- endmacro %}

{#- The envelope of each version okr_carry_forward makes, with entity_id named for the entity
    (objective_id, key_result_id, kpi_id). -#}
{% macro okr_version_columns(key, by=[]) -%}
    {{ okr_by(by) }}
    client_id,
    entity_id as {{ key }},
    version_no,
    event_id,
    event_type,
    occurred_at,
    recorded_at,
    sequence_no,
    valid_from,
    valid_to
{%- endmacro %}

{#-
    The state models serve two grains: current state (by = []), and one state per day of the
    daily marts (by = ['date_day']), where every partition and join also runs per day.
    okr_by renders the extra columns as a list prefix ("prefix.date_day,"), okr_by_join as join
    conditions between two relations.
-#}
{% macro okr_by(by, prefix='') -%}
    {%- for column in by %}{{ prefix }}{{ column }}, {% endfor -%}
{%- endmacro %}

{% macro okr_by_join(by, left, right) -%}
    {%- for column in by %} and {{ left }}.{{ column }} = {{ right }}.{{ column }}{% endfor -%}
{%- endmacro %}
