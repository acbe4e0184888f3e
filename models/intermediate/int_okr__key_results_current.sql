{#-
    Each active key result at `as_of` (int_okr__key_result_windows) with its current value and
    the latest final grade.

    The current value of a key result fed by a KPI comes from the KPI's observations (its own
    client's, corrections applied, as visible at `as_of`) measured by the end of the due date,
    read from the daily partial aggregates: kpi_window period_to_date aggregates the days from
    the window's start by the KPI's rule, all segments together as in the rollups; latest takes
    the latest observation. Other key results
    take the latest check-in that occurred by then and by the end of the due date. Without
    either: the start value.
-#}
with windowed as (

    select * from {{ ref('int_okr__key_result_windows') }}

),

events as (

    select * from {{ ref('stg_okr__events') }}
    where event_type in ('key_result_checked_in', 'key_result_graded')

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

kpi_days as (

    select
        windowed.client_id,
        windowed.key_result_id,
        windowed.kpi_window,
        windowed.kpi_aggregation,
        daily.total,
        daily.observation_count,
        daily.minimum,
        daily.maximum,
        daily.last_value,
        daily.last_event_id,
        daily.last_observed_at,
        row_number() over (
            partition by windowed.client_id, windowed.key_result_id, daily.segment_key
            order by {{ okr_latest_day_first('daily.') }}
        ) as segment_recency,
        row_number() over (
            partition by windowed.client_id, windowed.key_result_id
            order by {{ okr_latest_day_first('daily.') }}
        ) as recency
    from windowed
    inner join {{ ref('int_okr__kpi_daily_segments') }} as daily
        on windowed.client_id = daily.client_id
        and windowed.kpi_id = daily.kpi_id
    where
        daily.date_day <= windowed.window_end
        and (windowed.kpi_window = 'latest' or daily.date_day >= windowed.window_start)

),

kpi_values as (

    select
        kpi_days.client_id,
        kpi_days.key_result_id,
        case kpi_days.kpi_window
            when 'latest' then max(case when kpi_days.recency = 1 then kpi_days.last_value end)
            else {{ okr_aggregate_by_rule(
                'max(kpi_days.kpi_aggregation)',
                'sum(kpi_days.total)',
                'sum(kpi_days.observation_count)',
                'min(kpi_days.minimum)',
                'max(kpi_days.maximum)',
                'sum(case when kpi_days.segment_recency = 1 then kpi_days.last_value end)') }}
        end as kpi_value,
        max(case when kpi_days.recency = 1 then kpi_days.last_event_id end) as kpi_event_id,
        max(case when kpi_days.recency = 1 then kpi_days.last_observed_at end) as kpi_observed_at
    from kpi_days
    group by kpi_days.client_id, kpi_days.key_result_id, kpi_days.kpi_window

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
        case
            when kpi_values.kpi_value is not null then kpi_values.kpi_value
            when windowed.kpi_id is null and check_ins.event_id is not null then check_ins.check_in_value
            else windowed.start_value
        end as current_value,
        case
            when kpi_values.kpi_value is not null then 'kpi'
            when windowed.kpi_id is null and check_ins.event_id is not null then 'check_in'
            else 'start_value'
        end as current_value_source,
        case
            when kpi_values.kpi_value is not null then kpi_values.kpi_event_id
            when windowed.kpi_id is null and check_ins.event_id is not null then check_ins.event_id
            else windowed.start_value_event_id
        end as current_value_event_id,
        case when windowed.kpi_id is null then check_ins.confidence end as confidence,
        case when windowed.kpi_id is null then check_ins.occurred_at end as last_check_in_at,
        case when windowed.kpi_id is null then check_ins.note end as last_check_in_note,
        case
            when windowed.kpi_id is null then check_ins.occurred_at else kpi_values.kpi_observed_at
        end as last_activity_at,
        grades.graded_score,
        grades.event_id as graded_event_id
    from windowed
    left join check_ins
        on windowed.client_id = check_ins.client_id
        and windowed.key_result_id = check_ins.key_result_id
        and check_ins.recency = 1
    left join kpi_values
        on windowed.client_id = kpi_values.client_id
        and windowed.key_result_id = kpi_values.key_result_id
    left join grades
        on windowed.client_id = grades.client_id
        and windowed.key_result_id = grades.key_result_id
        and grades.recency = 1

)

select * from final
