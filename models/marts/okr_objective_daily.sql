{#-
    Each objective on each day of its period up to `as_of`, with the score, grade, expected
    progress and health okr_objectives would show with `as_of` set to the end of that day.
    The slices of int_okr__objective_assessments in the period. Incremental (see okr_daily_mart).
-#}
{{ okr_daily_mart(['client_id', 'objective_id', 'date_day']) }}

with assessed as (

    select * from {{ ref('int_okr__objective_assessments') }}

),

known as (

    select
        assessed.*,
        slices.known_at
    from assessed
    inner join {{ ref('int_okr__slices') }} as slices
        on assessed.date_day = slices.date_day
    where assessed.date_day between assessed.period_start and assessed.period_end

),

final as (

    select
        {{ okr_contract_columns() }}
    from known

)

select * from final
