{#-
    Each key result on each day of its window (the objective's period start to the due date) up
    to `as_of`, with the figures okr_key_results would show with `as_of` set to the end of that
    day: burn-up charts: the slices of int_okr__key_result_forecasts in the window.
    Incremental (see okr_daily_mart).
-#}
{{ okr_daily_mart(['client_id', 'key_result_id', 'date_day']) }}

with scores as (

    select * from {{ ref('int_okr__key_result_forecasts') }}
    where date_day between window_start and due_date

),

known as (

    select
        scores.*,
        slices.known_at
    from scores
    inner join {{ ref('int_okr__slices') }} as slices
        on scores.date_day = slices.date_day

),

final as (

    select
        {{ okr_contract_columns() }}
    from known

)

select * from final
