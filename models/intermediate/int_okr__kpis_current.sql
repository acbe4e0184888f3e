{#- The definition of each KPI in effect at `as_of` (retired ones included, flagged). -#}
with versions as (

    select
        *,
        row_number() over (partition by client_id, kpi_id order by {{ okr_latest_first() }}) as recency
    from {{ ref('int_okr__kpi_versions') }}

),

final as (

    select
        client_id,
        kpi_id,
        name,
        aggregation,
        unit,
        direction,
        target_value,
        target_grain,
        owner,
        description,
        is_retired
    from versions
    where recency = 1

)

select * from final
