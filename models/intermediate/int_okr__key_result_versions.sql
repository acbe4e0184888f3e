{#- Every event of each slice that changes a key result's definition (created, updated, target
    changed, removed) replayed into a full version. Check-ins and grades are observations of the
    key result, not versions of it. -#}
{%- set fields = [
    'objective_id', 'title', 'scoring', 'start_value', 'start_value_event_id', 'target_value',
    'declared_direction', 'unit', 'weight', 'owner', 'due_date', 'kpi_id', 'kpi_window', 'description'] %}

with events as (

    select
        *,
        case when start_value is not null then event_id end as start_value_event_id,
        direction as declared_direction
    from {{ ref('int_okr__slice_events') }}
    where event_type in (
        'key_result_created', 'key_result_updated', 'key_result_target_changed', 'key_result_removed'
    )

),

grouped as (

    select *{{ okr_carry_forward_groups(fields) }}
    from events

)

select
    {{ okr_version_columns('key_result_id') }},
    {{ okr_carry_forward_values(fields, {'scoring': "'spectrum'", 'start_value': '0.0', 'weight': '1.0'}) }},
    {{ okr_is_ended('key_result_removed') }} as is_removed
from grouped
