{#-
    Current state of every active objective at `as_of`: its definition in effect, its score (the
    weighted mean of its active key results and aligned child objectives), grade, expected
    progress over its period and health (docs/rules.md, Objectives). One row per objective: the current slice of
    int_okr__objective_assessments.
-#}
with assessed as (

    select *, {{ okr_as_of() }} as as_of_at
    from {{ ref('int_okr__objective_assessments') }}
    where {{ okr_is_current_slice() }}

),

final as (

    select
        {{ okr_contract_columns() }}
    from assessed

)

select * from final
