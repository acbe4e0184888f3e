{#-
    Each active key result at `as_of` with everything its score needs: the definition and target
    in effect, its window (the objective's period start to the due date), the latest check-in that
    occurred by then and by the end of the due date, and the latest final grade.
    Key results of an archived (or unknown) objective leave with it.
-#}
with versions as (

    select
        *,
        row_number() over (partition by client_id, key_result_id order by {{ okr_latest_first() }}) as recency
    from {{ ref('int_okr__key_result_versions') }}

),

key_results as (

    select * from versions
    where recency = 1 and not is_removed

),

objectives as (

    select client_id, objective_id, period_start, period_end
    from {{ ref('int_okr__objectives_current') }}

),

events as (

    select * from {{ ref('stg_okr__events') }}
    where event_type in ('key_result_checked_in', 'key_result_graded')

),

windowed as (

    select
        key_results.*,
        objectives.period_start as window_start,
        coalesce(key_results.due_date, objectives.period_end) as window_end
    from key_results
    inner join objectives
        on key_results.client_id = objectives.client_id
        and key_results.objective_id = objectives.objective_id

),

check_ins as (

    select
        events.client_id,
        events.entity_id as key_result_id,
        events.event_id,
        events.occurred_at,
        events.check_in_value,
        events.confidence,
        events.note,
        row_number() over (
            partition by events.client_id, events.entity_id order by {{ okr_latest_first('events.') }}
        ) as recency
    from events
    inner join windowed
        on events.client_id = windowed.client_id
        and events.entity_id = windowed.key_result_id
    where
        events.event_type = 'key_result_checked_in'
        -- values measured after the deadline do not count
        and events.occurred_at < {{ dbt.dateadd('day', 1, 'windowed.window_end') }}

),

grades as (

    select
        client_id,
        entity_id as key_result_id,
        event_id,
        graded_score,
        row_number() over (partition by client_id, entity_id order by {{ okr_latest_first() }}) as recency
    from events
    where event_type = 'key_result_graded'

),

final as (

    select
        windowed.client_id,
        windowed.key_result_id,
        windowed.objective_id,
        windowed.title,
        windowed.owner,
        windowed.scoring,
        {{ okr_kr_direction('windowed.declared_direction', 'windowed.start_value', 'windowed.target_value') }} as direction,
        windowed.weight,
        windowed.unit,
        windowed.description,
        windowed.window_start,
        windowed.window_end as due_date,
        windowed.kpi_id,
        windowed.kpi_window,
        windowed.start_value,
        windowed.target_value,
        coalesce(check_ins.check_in_value, windowed.start_value) as current_value,
        case when check_ins.event_id is not null then 'check_in' else 'start_value' end as current_value_source,
        coalesce(check_ins.event_id, windowed.start_value_event_id) as current_value_event_id,
        check_ins.confidence,
        check_ins.occurred_at as last_check_in_at,
        check_ins.note as last_check_in_note,
        grades.graded_score,
        grades.event_id as graded_event_id
    from windowed
    left join check_ins
        on windowed.client_id = check_ins.client_id
        and windowed.key_result_id = check_ins.key_result_id
        and check_ins.recency = 1
    left join grades
        on windowed.client_id = grades.client_id
        and windowed.key_result_id = grades.key_result_id
        and grades.recency = 1

)

select * from final
