with objectives as (

    select * from {{ ref('int_okr__objectives_current') }}

),

scores as (

    select * from {{ ref('int_okr__objective_scores') }}

),

key_result_counts as (

    select client_id, objective_id, count(*) as key_result_count
    from {{ ref('int_okr__key_result_scores') }}
    group by client_id, objective_id

),

joined as (

    select
        objectives.*,
        scores.score,
        coalesce(key_result_counts.key_result_count, 0) as key_result_count,
        {{ okr_as_of_date() }} as as_of_date
    from objectives
    left join scores
        on objectives.client_id = scores.client_id
        and objectives.objective_id = scores.objective_id
    left join key_result_counts
        on objectives.client_id = key_result_counts.client_id
        and objectives.objective_id = key_result_counts.objective_id

),

assessed as (

    select
        *,
        {{ okr_expected_progress('period_start', 'period_end', 'as_of_date') }} as expected_progress
    from joined

),

final as (

    select
        cast(objective_id as {{ dbt.type_string() }}) as objective_id,
        cast(client_id as {{ dbt.type_string() }}) as client_id,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(level as {{ dbt.type_string() }}) as level,
        cast(period as {{ dbt.type_string() }}) as period,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(owner as {{ dbt.type_string() }}) as owner,
        cast(team as {{ dbt.type_string() }}) as team,
        cast(parent_objective_id as {{ dbt.type_string() }}) as parent_objective_id,
        cast(kind as {{ dbt.type_string() }}) as kind,
        cast(weight as {{ okr_type_double() }}) as weight,
        cast(score as {{ okr_type_double() }}) as score,
        cast({{ okr_grade('score') }} as {{ dbt.type_string() }}) as grade,
        cast(expected_progress as {{ okr_type_double() }}) as expected_progress,
        cast({{ okr_health('score', 'expected_progress', 'period_end', 'as_of_date') }} as {{ dbt.type_string() }}) as health,
        cast(key_result_count as {{ dbt.type_int() }}) as key_result_count,
        cast(description as {{ dbt.type_string() }}) as description,
        {{ okr_as_of() }} as as_of_at
    from assessed

)

select * from final
