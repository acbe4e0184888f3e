{#- The latest version of each objective at `as_of`; archived objectives leave. -#}
with versions as (

    select
        *,
        row_number() over (partition by client_id, objective_id order by {{ okr_latest_first() }}) as recency
    from {{ ref('int_okr__objective_versions') }}

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
    where recency = 1 and not is_archived

)

select * from final
