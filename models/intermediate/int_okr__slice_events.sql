{#-
    The goal events (objective, key result and KPI) known in each slice of int_okr__slices: one
    row per slice and event that had occurred and been recorded by its known_at. Replaying a
    slice's rows gives the state an `as_of` build for that moment shows.

    The current slice holds every event (staging already applies `as_of`). The other slices, the
    days of the daily marts, hold only the entities a daily mart can need that day: an objective
    from the earliest period start to the latest period end (or due date of its key results) of
    itself and of every objective it was ever aligned under, in any version; a key result over
    the days of the objectives it was ever under. Outside them no daily row reads the entity, and
    a key result of a past quarter is not replayed on every day since. KPI definitions are in
    every slice.
-#}
with recursive events as (

    select * from {{ ref('stg_okr__events') }}
    where entity_type in ('objective', 'key_result', 'kpi')

),

-- each objective's own days: its periods in any version, and its key results' due dates
objective_days as (

    select
        client_id,
        coalesce(objective_id, entity_id) as objective_id,
        min(period_start) as first_day,
        max(coalesce(period_end, due_date)) as last_day
    from events
    where entity_type = 'objective' or (entity_type = 'key_result' and objective_id is not null)
    group by client_id, coalesce(objective_id, entity_id)

),

-- every alignment of an objective in any version
parents as (

    select distinct client_id, entity_id as from_id, parent_objective_id as to_id
    from events
    where entity_type = 'objective' and parent_objective_id is not null

),

{{ okr_alignment_walk('ancestors', 'objective_days', 'parents', ['client_id'], var('okr_max_alignment_depth')) }},

objective_spans as (

    select ancestors.client_id, ancestors.start_id as objective_id, min(days.first_day) as first_day, max(days.last_day) as last_day
    from ancestors
    inner join objective_days as days
        on ancestors.client_id = days.client_id
        and ancestors.reached_id = days.objective_id
    group by ancestors.client_id, ancestors.start_id

),

spans as (

    select client_id, 'objective' as entity_type, objective_id as entity_id, first_day, last_day
    from objective_spans

    union all

    select
        key_results.client_id,
        'key_result',
        key_results.entity_id,
        min(objective_spans.first_day),
        max(objective_spans.last_day)
    from (
        select distinct client_id, entity_id, objective_id
        from events
        where entity_type = 'key_result' and objective_id is not null
    ) as key_results
    inner join objective_spans
        on key_results.client_id = objective_spans.client_id
        and key_results.objective_id = objective_spans.objective_id
    group by key_results.client_id, key_results.entity_id

),

final as (

    select
        slices.date_day,
        events.*
    from {{ ref('int_okr__slices') }} as slices
    inner join events
        on events.occurred_at <= slices.known_at
        and events.recorded_at <= slices.known_at
    left join spans
        on events.client_id = spans.client_id
        and events.entity_type = spans.entity_type
        and events.entity_id = spans.entity_id
    where
        slices.is_current
        or events.entity_type = 'kpi'
        or slices.date_day between spans.first_day and spans.last_day

)

select * from final
