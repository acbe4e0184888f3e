{#-
    Each active key result of each slice (int_okr__key_result_windows) with its current value
    and the latest final grade.

    The current value of a key result fed by a KPI comes from the KPI's observations (its own
    client's, corrections applied, as known in the slice) measured by the end of the due date,
    read from the daily partial aggregates (int_okr__kpi_daily_segments, each as known from one
    day to another): kpi_window period_to_date aggregates the days from the window's start by
    the KPI's rule, all segments together as in the rollups; latest takes the latest
    observation. Other key results take the latest check-in that occurred by the end of the due
    date. Without either: the start value.
-#}
with windows as (

    select * from {{ ref('int_okr__key_result_windows') }}

),

events as (

    select * from {{ ref('int_okr__slice_events') }}
    where event_type in ('key_result_checked_in', 'key_result_graded')

),

check_ins as (

    select
        events.date_day,
        events.client_id,
        events.entity_id as key_result_id,
        events.event_id,
        events.occurred_at,
        events.check_in_value,
        events.confidence,
        events.note,
        row_number() over (
            partition by events.date_day, events.client_id, events.entity_id
            order by {{ okr_latest_first('events.') }}
        ) as recency
    from events
    inner join windows
        on events.date_day = windows.date_day
        and events.client_id = windows.client_id
        and events.entity_id = windows.key_result_id
    where
        events.event_type = 'key_result_checked_in'
        -- values measured after the deadline do not count
        and events.occurred_at < {{ okr_dateadd('day', 1, 'windows.window_end') }}

),

kpi_days as (

    select
        windows.date_day,
        windows.client_id,
        windows.key_result_id,
        windows.kpi_window,
        windows.kpi_aggregation,
        daily.total,
        daily.observation_count,
        daily.minimum,
        daily.maximum,
        daily.last_value,
        daily.last_event_id,
        daily.last_observed_at,
        row_number() over (
            partition by windows.date_day, windows.client_id, windows.key_result_id, daily.segment_key
            order by {{ okr_latest_day_first('daily.') }}
        ) as segment_recency,
        row_number() over (
            partition by windows.date_day, windows.client_id, windows.key_result_id
            order by {{ okr_latest_day_first('daily.') }}
        ) as recency
    from windows
    inner join {{ ref('int_okr__kpi_daily_segments') }} as daily
        on windows.client_id = daily.client_id
        and windows.kpi_id = daily.kpi_id
    where
        daily.date_day <= windows.window_end
        and (windows.kpi_window = 'latest' or daily.date_day >= windows.window_start)
        -- the aggregates as known at the end of the slice's day
        and daily.known_from <= windows.date_day
        and (daily.known_to is null or daily.known_to > windows.date_day)

),

kpi_values as (

    select
        date_day,
        client_id,
        key_result_id,
        case kpi_window
            when 'latest' then max(case when recency = 1 then last_value end)
            else {{ okr_aggregate_by_rule(
                'max(kpi_aggregation)',
                'sum(total)',
                'sum(observation_count)',
                'min(minimum)',
                'max(maximum)',
                'sum(case when segment_recency = 1 then last_value end)') }}
        end as kpi_value,
        max(case when recency = 1 then last_event_id end) as kpi_event_id,
        max(case when recency = 1 then last_observed_at end) as kpi_observed_at
    from kpi_days
    group by date_day, client_id, key_result_id, kpi_window

),

grades as (

    select
        date_day,
        client_id,
        entity_id as key_result_id,
        event_id,
        graded_score,
        row_number() over (partition by date_day, client_id, entity_id order by {{ okr_latest_first() }}) as recency
    from events
    where event_type = 'key_result_graded'

),

final as (

    select
        windows.date_day,
        windows.client_id,
        windows.key_result_id,
        windows.objective_id,
        windows.title,
        windows.owner,
        windows.scoring,
        {{ okr_kr_direction('windows.declared_direction', 'windows.start_value', 'windows.target_value') }} as direction,
        windows.weight,
        windows.unit,
        windows.description,
        windows.window_start,
        windows.window_end as due_date,
        windows.kpi_id,
        windows.kpi_window,
        windows.start_value,
        windows.target_value,
        case
            when kpi_values.kpi_value is not null then kpi_values.kpi_value
            when windows.kpi_id is null and check_ins.event_id is not null then check_ins.check_in_value
            else windows.start_value
        end as current_value,
        case
            when kpi_values.kpi_value is not null then 'kpi'
            when windows.kpi_id is null and check_ins.event_id is not null then 'check_in'
            else 'start_value'
        end as current_value_source,
        case
            when kpi_values.kpi_value is not null then kpi_values.kpi_event_id
            when windows.kpi_id is null and check_ins.event_id is not null then check_ins.event_id
            else windows.start_value_event_id
        end as current_value_event_id,
        case when windows.kpi_id is null then check_ins.confidence end as confidence,
        case when windows.kpi_id is null then check_ins.occurred_at end as last_check_in_at,
        case when windows.kpi_id is null then check_ins.note end as last_check_in_note,
        case
            when windows.kpi_id is null then check_ins.occurred_at else kpi_values.kpi_observed_at
        end as last_activity_at,
        grades.graded_score,
        grades.event_id as graded_event_id
    from windows
    left join check_ins
        on windows.date_day = check_ins.date_day
        and windows.client_id = check_ins.client_id
        and windows.key_result_id = check_ins.key_result_id
        and check_ins.recency = 1
    left join kpi_values
        on windows.date_day = kpi_values.date_day
        and windows.client_id = kpi_values.client_id
        and windows.key_result_id = kpi_values.key_result_id
    left join grades
        on windows.date_day = grades.date_day
        and windows.client_id = grades.client_id
        and windows.key_result_id = grades.key_result_id
        and grades.recency = 1

)

select * from final
