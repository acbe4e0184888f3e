{#- The scoring rules (docs/rules.md, Key results) applied to each active key result of each
    slice, on the slice's day. -#}
with progressed as (

    select
        *,
        {{ okr_kr_progress('scoring', 'direction', 'start_value', 'target_value', 'current_value') }} as progress
    from {{ ref('int_okr__key_results') }}

),

computed as (

    select
        *,
        {{ okr_kr_computed_score('scoring', 'direction', 'target_value', 'current_value', 'progress') }} as computed_score,
        {{ okr_expected_progress('window_start', 'due_date', 'date_day') }} as expected_progress
    from progressed

),

scored as (

    select
        *,
        -- the owner's final grade replaces the computed score, which stays beside it
        coalesce(graded_score, computed_score) as score,
        case when graded_score is not null then 'graded' else current_value_source end as value_source,
        case when graded_score is not null then graded_event_id else current_value_event_id end as value_event_id
    from computed

),

final as (

    select
        date_day,
        client_id,
        key_result_id,
        objective_id,
        title,
        owner,
        scoring,
        direction,
        weight,
        unit,
        description,
        window_start,
        due_date,
        kpi_id,
        kpi_window,
        start_value,
        target_value,
        current_value,
        progress,
        score,
        computed_score,
        {{ okr_grade('score') }} as grade,
        expected_progress,
        {{ okr_health('score', 'expected_progress', 'due_date', 'date_day', 'confidence', "scoring = 'binary'") }} as health,
        confidence,
        last_check_in_at,
        last_check_in_note,
        last_activity_at,
        value_source,
        value_event_id
    from scored

)

select * from final
