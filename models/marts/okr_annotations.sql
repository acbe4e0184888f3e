{#-
    Annotations in force at `as_of`: external factors ("GA4 migration", "trade show") with what
    they are about (a key result, an objective, a KPI, or the whole client), their dates and
    category. An annotation_removed event takes it out; ends_on defaults to starts_on (one day).
-#}
with events as (

    select * from {{ ref('stg_okr__events') }}
    where entity_type = 'annotation'

),

latest as (

    -- the latest event of each annotation: it is in force when that is an annotation_added
    -- (whose content then is the latest), and gone when it is an annotation_removed
    {{ okr_latest_versions('events', 'client_id, entity_id') }}

),

in_force as (

    select
        entity_id as annotation_id,
        client_id,
        annotation_text,
        category,
        starts_on,
        coalesce(ends_on, starts_on) as ends_on,
        case
            when key_result_id is not null then 'key_result'
            when objective_id is not null then 'objective'
            when kpi_id is not null then 'kpi'
            else 'client'
        end as about,
        objective_id,
        key_result_id,
        kpi_id,
        actor,
        event_id,
        occurred_at,
        recorded_at,
        {{ okr_as_of() }} as as_of_at
    from latest
    where event_type = 'annotation_added'

),

final as (

    select
        {{ okr_contract_columns() }}
    from in_force

)

select * from final
