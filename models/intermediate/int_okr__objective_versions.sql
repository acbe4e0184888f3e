{#- Every objective event replayed into a full version of the objective, with its validity window. -#}
with events as (

    select
        *,
        case when event_type = 'objective_archived' then 1 end as archived_flag
    from {{ ref('stg_okr__events') }}
    where entity_type = 'objective'

),

versions as (

    {{ okr_carry_forward('events', [
        'title', 'level', 'period', 'period_start', 'period_end', 'owner', 'team',
        'parent_objective_id', 'kind', 'weight', 'description', 'archived_flag']) }}

),

final as (

    select
        {{ okr_version_columns('objective_id') }},
        title,
        level,
        period,
        period_start,
        period_end,
        owner,
        team,
        parent_objective_id,
        coalesce(kind, 'aspirational') as kind,
        coalesce(weight, 1.0) as weight,
        description,
        coalesce(archived_flag, 0) = 1 as is_archived
    from versions

)

select * from final
