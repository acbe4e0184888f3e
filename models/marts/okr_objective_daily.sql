{#-
    Each objective on each day of its period up to `as_of`, with the score, grade, expected
    progress and health okr_objectives would show with `as_of` set to the end of that day.
    The slices of int_okr__objective_assessments in the period. Incremental (see okr_daily_mart).
-#}
{{ okr_daily_mart(['client_id', 'objective_id', 'date_day']) }}

with assessed as (

    select * from {{ ref('int_okr__objective_assessments') }}

),

final as (

    select
        cast(assessed.objective_id as {{ okr_type_text() }}) as objective_id,
        cast(assessed.client_id as {{ okr_type_text() }}) as client_id,
        cast(assessed.date_day as date) as date_day,
        cast(assessed.title as {{ okr_type_text() }}) as title,
        cast(assessed.level as {{ okr_type_text() }}) as level,
        cast(assessed.period as {{ okr_type_text() }}) as period,
        cast(assessed.period_start as date) as period_start,
        cast(assessed.period_end as date) as period_end,
        cast(assessed.owner as {{ okr_type_text() }}) as owner,
        cast(assessed.kind as {{ okr_type_text() }}) as kind,
        cast(assessed.score as {{ okr_type_double() }}) as score,
        cast(assessed.grade as {{ okr_type_text() }}) as grade,
        cast(assessed.expected_progress as {{ okr_type_double() }}) as expected_progress,
        cast(assessed.health as {{ okr_type_text() }}) as health,
        cast(assessed.key_result_count as {{ dbt.type_int() }}) as key_result_count,
        cast(slices.known_at as {{ dbt.type_timestamp() }}) as known_at
    from assessed
    inner join {{ ref('int_okr__slices') }} as slices
        on assessed.date_day = slices.date_day
    where assessed.date_day between assessed.period_start and assessed.period_end

)

select * from final
