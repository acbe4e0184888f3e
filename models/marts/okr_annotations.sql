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

final as (

    select
        cast(added.entity_id as {{ dbt.type_string() }}) as annotation_id,
        cast(added.client_id as {{ dbt.type_string() }}) as client_id,
        cast(added.annotation_text as {{ dbt.type_string() }}) as annotation_text,
        cast(added.category as {{ dbt.type_string() }}) as category,
        cast(added.starts_on as date) as starts_on,
        cast(coalesce(added.ends_on, added.starts_on) as date) as ends_on,
        cast(case
            when added.key_result_id is not null then 'key_result'
            when added.objective_id is not null then 'objective'
            when added.kpi_id is not null then 'kpi'
            else 'client'
        end as {{ dbt.type_string() }}) as about,
        cast(added.objective_id as {{ dbt.type_string() }}) as objective_id,
        cast(added.key_result_id as {{ dbt.type_string() }}) as key_result_id,
        cast(added.kpi_id as {{ dbt.type_string() }}) as kpi_id,
        cast(added.actor as {{ dbt.type_string() }}) as actor,
        cast(added.event_id as {{ dbt.type_string() }}) as event_id,
        cast(added.occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(added.recorded_at as {{ dbt.type_timestamp() }}) as recorded_at,
        {{ okr_as_of() }} as as_of_at
    from latest as added
    where added.event_type = 'annotation_added'

)

select * from final
