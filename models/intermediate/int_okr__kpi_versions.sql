{#- Every KPI event replayed into a full version of the KPI definition, with its validity window. -#}
with events as (

    select
        *,
        case when event_type = 'kpi_retired' then 1 end as retired_flag
    from {{ ref('stg_okr__events') }}
    where entity_type = 'kpi'

),

versions as (

    {{ okr_carry_forward('events', [
        'name', 'aggregation', 'unit', 'direction', 'target_value', 'target_grain', 'owner',
        'description', 'retired_flag']) }}

),

final as (

    select
        {{ okr_version_columns('kpi_id') }},
        name,
        aggregation,
        unit,
        coalesce(direction, 'higher_is_better') as direction,
        target_value,
        target_grain,
        owner,
        description,
        coalesce(retired_flag, 0) = 1 as is_retired
    from versions

)

select * from final
