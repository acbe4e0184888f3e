{#-
    Goal events visible at `as_of` (occurred and recorded by then), with the JSON payload
    unpacked into typed columns. One row per event; no joins, no aggregation.
-#}
with source as (

    select * from {{ source('okr', 'okr_events') }}

),

visible as (

    select *
    from source
    where
        occurred_at <= {{ okr_as_of() }}
        and recorded_at <= {{ okr_as_of() }}

),

unpacked as (

    select
        event_id,
        event_type,
        client_id,
        entity_id,
        -- deliberately: a table written outside okr may hold zone-less timestamps (Spark
        -- reads Parquet written elsewhere as TIMESTAMP_NTZ); they are UTC
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(recorded_at as {{ dbt.type_timestamp() }}) as recorded_at,
        actor,
        sequence_no,
        case
            when event_type like 'objective%' then 'objective'
            when event_type like 'key_result%' then 'key_result'
            when event_type like 'kpi%' then 'kpi'
            when event_type like 'annotation%' then 'annotation'
        end as entity_type,
        {%- for key in [
            'title', 'level', 'period', 'owner', 'team', 'parent_objective_id', 'kind',
            'description', 'objective_id', 'key_result_id', 'kpi_id', 'scoring', 'direction',
            'unit', 'kpi_window', 'reason', 'note', 'name', 'aggregation', 'target_grain',
            'category'] %}
        {{ okr_json_text('payload', key) }} as {{ key }},
        {%- endfor %}
        {{ okr_json_text('payload', 'text') }} as annotation_text,
        {%- for key in ['weight', 'start_value', 'target_value', 'confidence'] %}
        cast({{ okr_json_text('payload', key) }} as {{ okr_type_double() }}) as {{ key }},
        {%- endfor %}
        cast({{ okr_json_text('payload', 'score') }} as {{ okr_type_double() }}) as graded_score,
        {{ okr_json_text('payload', 'value') }} as value_text,
        {%- for key in ['period_start', 'period_end', 'due_date', 'starts_on', 'ends_on'] %}
        cast({{ okr_json_text('payload', key) }} as date) as {{ key }}{{ ',' if not loop.last }}
        {%- endfor %}
    from visible

),

final as (

    select
        event_id,
        event_type,
        entity_type,
        client_id,
        entity_id,
        -- deliberately: a table written outside okr may hold zone-less timestamps (Spark
        -- reads Parquet written elsewhere as TIMESTAMP_NTZ); they are UTC
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(recorded_at as {{ dbt.type_timestamp() }}) as recorded_at,
        actor,
        sequence_no,
        title,
        level,
        -- an explicit range is labelled in ISO 8601 interval notation: 2026-07-01/2026-09-30
        coalesce(
            period,
            case
                when period_start is not null
                    then cast(period_start as {{ dbt.type_string() }}) || '/' || cast(period_end as {{ dbt.type_string() }})
            end
        ) as period,
        coalesce(period_start, {{ okr_period_start('period') }}) as period_start,
        coalesce(period_end, {{ okr_period_end('period') }}) as period_end,
        owner,
        team,
        parent_objective_id,
        kind,
        weight,
        description,
        objective_id,
        key_result_id,
        kpi_id,
        scoring,
        direction,
        start_value,
        target_value,
        unit,
        due_date,
        kpi_window,
        reason,
        -- a binary check-in may say true / false
        case
            when value_text = 'true' then 1.0
            when value_text = 'false' then 0.0
            else cast(value_text as {{ okr_type_double() }})
        end as check_in_value,
        confidence,
        note,
        graded_score,
        name,
        aggregation,
        target_grain,
        annotation_text,
        category,
        starts_on,
        ends_on
    from unpacked

)

select * from final
