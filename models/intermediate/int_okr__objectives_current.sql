{#- The latest version of each objective at `as_of`; archived objectives leave. -#}
with versions as (

    {{ okr_latest_versions(ref('int_okr__objective_versions'), 'objective_id') }}

),

final as (

    select
        client_id,
        objective_id,
        title,
        level,
        period,
        period_start,
        period_end,
        owner,
        team,
        parent_objective_id,
        kind,
        weight,
        description,
        event_id as version_event_id
    from versions
    where not is_archived

)

select * from final
