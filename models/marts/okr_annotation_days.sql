{#-
    Which annotations touch which key result and objective on which day, to draw beside the
    daily marts: join okr_key_result_daily on (client_id, key_result_id, date_day) or
    okr_objective_daily on (client_id, objective_id, date_day). An annotation touches a key
    result when it is about that key result, its objective, its KPI or the whole client; and an
    objective when it is about that objective, one of its key results or their KPIs, or the
    client. One row per annotation, day (from starts_on to ends_on, within the key result's
    window or the objective's period) and subject. Annotations and subjects as known at `as_of`:
    an annotation written after a dip still explains it, so this table is rebuilt every run.
-#}
with annotations as (

    select * from {{ ref('okr_annotations') }}

),

key_results as (

    select client_id, key_result_id, objective_id, kpi_id, window_start, due_date
    from {{ ref('okr_key_results') }}

),

objectives as (

    select client_id, objective_id, period_start, period_end
    from {{ ref('okr_objectives') }}

),

key_result_links as (

    select
        annotations.annotation_id,
        annotations.client_id,
        'key_result' as subject_type,
        key_results.key_result_id,
        key_results.objective_id,
        key_results.window_start as first_day,
        key_results.due_date as last_day
    from annotations
    inner join key_results
        on annotations.client_id = key_results.client_id
        and (
            annotations.about = 'client'
            or annotations.key_result_id = key_results.key_result_id
            or annotations.objective_id = key_results.objective_id
            or annotations.kpi_id = key_results.kpi_id
        )

),

objective_links as (

    select distinct
        annotations.annotation_id,
        annotations.client_id,
        'objective' as subject_type,
        cast(null as {{ dbt.type_string() }}) as key_result_id,
        objectives.objective_id,
        objectives.period_start as first_day,
        objectives.period_end as last_day
    from annotations
    inner join objectives
        on annotations.client_id = objectives.client_id
    left join key_results
        on objectives.client_id = key_results.client_id
        and objectives.objective_id = key_results.objective_id
    where
        annotations.about = 'client'
        or annotations.objective_id = objectives.objective_id
        or annotations.key_result_id = key_results.key_result_id
        or annotations.kpi_id = key_results.kpi_id

),

links as (

    select * from key_result_links
    union all
    select * from objective_links

),

spine as (

    {{ okr_day_spine('(select min(starts_on) from annotations)', '(select max(ends_on) from annotations)') }}

),

days as (

    select
        annotations.annotation_id,
        annotations.client_id,
        spine.date_day,
        links.subject_type,
        links.key_result_id,
        links.objective_id,
        annotations.annotation_text,
        annotations.category,
        annotations.about,
        {{ okr_as_of() }} as as_of_at
    from annotations
    inner join links
        on annotations.client_id = links.client_id
        and annotations.annotation_id = links.annotation_id
    inner join spine
        on spine.date_day between annotations.starts_on and annotations.ends_on
        and spine.date_day between links.first_day and links.last_day

),

final as (

    select
        {{ okr_contract_columns() }}
    from days

)

select * from final
