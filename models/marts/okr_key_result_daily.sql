{#-
    Each key result on each day of its window (the objective's period start to the due date) up
    to `as_of`, with the figures okr_key_results would show with `as_of` set to the end of that
    day: burn-up charts: the slices of int_okr__key_result_scores in the window.
    Incremental (see okr_daily_mart).
-#}
{{ okr_daily_mart(['client_id', 'key_result_id', 'date_day']) }}

with scores as (

    select * from {{ ref('int_okr__key_result_scores') }}
    where date_day between window_start and due_date

),

final as (

    select
        cast(scores.key_result_id as {{ okr_type_text() }}) as key_result_id,
        cast(scores.objective_id as {{ okr_type_text() }}) as objective_id,
        cast(scores.client_id as {{ okr_type_text() }}) as client_id,
        cast(scores.date_day as date) as date_day,
        cast(scores.title as {{ okr_type_text() }}) as title,
        cast(scores.scoring as {{ okr_type_text() }}) as scoring,
        cast(scores.direction as {{ okr_type_text() }}) as direction,
        cast(scores.unit as {{ okr_type_text() }}) as unit,
        cast(scores.kpi_id as {{ okr_type_text() }}) as kpi_id,
        cast(scores.window_start as date) as window_start,
        cast(scores.due_date as date) as due_date,
        cast(scores.start_value as {{ okr_type_double() }}) as start_value,
        cast(scores.target_value as {{ okr_type_double() }}) as target_value,
        cast(scores.current_value as {{ okr_type_double() }}) as current_value,
        cast(scores.progress as {{ okr_type_double() }}) as progress,
        cast(scores.score as {{ okr_type_double() }}) as score,
        cast(scores.computed_score as {{ okr_type_double() }}) as computed_score,
        cast(scores.grade as {{ okr_type_text() }}) as grade,
        cast(scores.expected_progress as {{ okr_type_double() }}) as expected_progress,
        cast(scores.health as {{ okr_type_text() }}) as health,
        cast(scores.confidence as {{ okr_type_double() }}) as confidence,
        cast(scores.value_source as {{ okr_type_text() }}) as value_source,
        cast(scores.value_event_id as {{ okr_type_text() }}) as value_event_id,
        cast(slices.known_at as {{ dbt.type_timestamp() }}) as known_at
    from scores
    inner join {{ ref('int_okr__slices') }} as slices
        on scores.date_day = slices.date_day

)

select * from final
