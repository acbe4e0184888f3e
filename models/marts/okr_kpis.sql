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

final as (

    select
        cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
        cast(client_id as {{ dbt.type_string() }}) as client_id,
        cast(name as {{ dbt.type_string() }}) as name,
        cast(aggregation as {{ dbt.type_string() }}) as aggregation,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(target_value as {{ okr_type_double() }}) as target_value,
        cast(target_grain as {{ dbt.type_string() }}) as target_grain,
        cast(owner as {{ dbt.type_string() }}) as owner,
        cast(description as {{ dbt.type_string() }}) as description,
        is_retired,
        cast(latest_observed_at as {{ dbt.type_timestamp() }}) as latest_observed_at,
        cast(observation_count as {{ dbt.type_bigint() }}) as observation_count,
        cast(status_grain as {{ dbt.type_string() }}) as status_grain,
        cast(status_period_start as date) as status_period_start,
        cast(status_value as {{ okr_type_double() }}) as status_value,
        status_period_is_complete,
        cast(attainment as {{ okr_type_double() }}) as attainment,
        cast(case
            when status_value is null then 'no_data'
            when target_value is null then 'no_target'
            when {{ okr_meets('status_value', 'target_value', "direction = 'lower_is_better'") }} then 'met'
            else 'not_met'
        end as {{ dbt.type_string() }}) as status,
        {{ okr_as_of() }} as as_of_at
    from joined

)

select * from final
