{#- The definition of each KPI in effect at `as_of` (retired ones included, flagged). -#}
with versions as (

    {{ okr_latest_versions(ref('int_okr__kpi_versions'), 'kpi_id') }}

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

)

select * from final
