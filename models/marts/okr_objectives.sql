{#-
    Current state of every active objective at `as_of`: its definition in effect, its score (the
    weighted mean of its active key results and aligned child objectives), grade, expected
    progress over its period and health (docs/rules.md, Objectives). One row per objective: the current slice of
    int_okr__objective_assessments.
-#}
with assessed as (

    select * from {{ ref('int_okr__objective_assessments') }}
    where {{ okr_is_current_slice() }}

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
        cast(grade as {{ dbt.type_string() }}) as grade,
        cast(expected_progress as {{ okr_type_double() }}) as expected_progress,
        cast(health as {{ dbt.type_string() }}) as health,
        cast(key_result_count as {{ dbt.type_int() }}) as key_result_count,
        cast(description as {{ dbt.type_string() }}) as description,
        {{ okr_as_of() }} as as_of_at
    from assessed

)

select * from final
