{#-
    The KPI catalog: each KPI's definition in effect at `as_of`, its latest observation, and its
    status against target in its latest period at the target grain (month when it has none).
-#}
with kpis as (

    select * from {{ ref('int_okr__kpis') }}
    where {{ okr_is_current_slice() }}

),

observed as (

    select
        client_id,
        kpi_id,
        max(last_observed_at) as latest_observed_at,
        sum(observation_count) as observation_count
    from {{ ref('int_okr__kpi_daily_segments') }}
    where known_to is null
    group by client_id, kpi_id

),

rollups as (

    select
        *,
        row_number() over (partition by client_id, kpi_id, grain order by period_start desc) as recency
    from {{ ref('okr_kpi_rollups') }}
    where segment = 'all'

),

joined as (

    select
        kpis.*,
        coalesce(kpis.target_grain, 'month') as status_grain,
        observed.latest_observed_at,
        coalesce(observed.observation_count, 0) as observation_count,
        rollups.period_start as status_period_start,
        rollups.value as status_value,
        rollups.is_complete as status_period_is_complete,
        rollups.attainment
    from kpis
    left join observed
        on kpis.client_id = observed.client_id
        and kpis.kpi_id = observed.kpi_id
    left join rollups
        on kpis.client_id = rollups.client_id
        and kpis.kpi_id = rollups.kpi_id
        and rollups.grain = coalesce(kpis.target_grain, 'month')
        and rollups.recency = 1

),

assessed as (

    select
        *,
        case
            when status_value is null then 'no_data'
            when target_value is null then 'no_target'
            when {{ okr_meets('status_value', 'target_value', "direction = 'lower_is_better'") }} then 'met'
            else 'not_met'
        end as status,
        {{ okr_as_of() }} as as_of_at
    from joined

),

final as (

    select
        {{ okr_contract_columns() }}
    from assessed

)

select * from final
