{#-
    Each objective on each day of its period up to `as_of`, with the score, grade, expected
    progress and health okr_objectives would show with `as_of` set to the end of that day.
    Incremental (see okr_daily_config).
-#}
{{ okr_daily_config() }}

with assessed as (

    {{ okr_objective_assessment(
        ref('int_okr__objectives_daily'),
        ref('int_okr__objective_scores_daily'),
        ref('int_okr__key_result_scores_daily'),
        'objectives.date_day',
        ['date_day']) }}

),

slices as (

    select * from {{ ref('int_okr__daily_slices') }}

),

final as (

    select
        cast(assessed.objective_id as varchar) as objective_id,
        cast(assessed.client_id as varchar) as client_id,
        cast(assessed.date_day as date) as date_day,
        cast(assessed.title as varchar) as title,
        cast(assessed.level as varchar) as level,
        cast(assessed.period as varchar) as period,
        cast(assessed.period_start as date) as period_start,
        cast(assessed.period_end as date) as period_end,
        cast(assessed.owner as varchar) as owner,
        cast(assessed.kind as varchar) as kind,
        cast(assessed.score as {{ okr_type_double() }}) as score,
        cast(assessed.grade as varchar) as grade,
        cast(assessed.expected_progress as {{ okr_type_double() }}) as expected_progress,
        cast(assessed.health as varchar) as health,
        cast(assessed.key_result_count as {{ dbt.type_int() }}) as key_result_count,
        cast(slices.known_at as {{ dbt.type_timestamp() }}) as known_at,
        cast(slices.built_through_event_no as {{ dbt.type_bigint() }}) as built_through_event_no,
        cast(slices.built_through_observation_no as {{ dbt.type_bigint() }}) as built_through_observation_no,
        cast(slices.built_through_recorded_at as {{ dbt.type_timestamp() }}) as built_through_recorded_at
    from assessed
    inner join slices
        on assessed.date_day = slices.date_day
    where assessed.date_day between assessed.period_start and assessed.period_end

)

select * from final
