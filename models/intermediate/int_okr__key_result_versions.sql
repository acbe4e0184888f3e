{#-
    Every key result event that changes its definition (created, updated, target changed,
    removed) replayed into a full version, with its validity window. Check-ins and grades are
    observations of the key result, not versions of it.
-#}
with events as (

    select
        *,
        case when start_value is not null then event_id end as start_value_event_id,
        case when event_type = 'key_result_removed' then 1 end as removed_flag
    from {{ ref('stg_okr__events') }}
    where event_type in (
        'key_result_created', 'key_result_updated', 'key_result_target_changed', 'key_result_removed'
    )

),

versions as (

    {{ okr_carry_forward('events', [
        'objective_id', 'title', 'scoring', 'start_value', 'start_value_event_id', 'target_value',
        'direction', 'unit', 'weight', 'owner', 'due_date', 'kpi_id', 'kpi_window', 'description',
        'removed_flag']) }}

),

final as (

    select
        {{ okr_version_columns('key_result_id') }},
        objective_id,
        title,
        coalesce(scoring, 'spectrum') as scoring,
        coalesce(start_value, 0.0) as start_value,
        start_value_event_id,
        target_value,
        direction as declared_direction,
        unit,
        coalesce(weight, 1.0) as weight,
        owner,
        due_date,
        kpi_id,
        case when kpi_id is not null then coalesce(kpi_window, 'period_to_date') end as kpi_window,
        description,
        coalesce(removed_flag, 0) = 1 as is_removed
    from versions

)

select * from final
