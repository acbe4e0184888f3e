{#- Each active objective of each slice with its score, projected score, key result count (and
    how many are projected green), expected progress and health on the slice's day
    (docs/rules.md, Objectives: an objective's window is its period, without confidence). -#}
with key_result_counts as (

    select
        date_day,
        client_id,
        objective_id,
        count(*) as key_result_count,
        -- by the projected score, or the current one where there is no projection
        sum(case when coalesce(projected_grade, grade) = 'green' then 1 else 0 end) as projected_green_count
    from {{ ref('int_okr__key_result_forecasts') }}
    group by date_day, client_id, objective_id

),

joined as (

    select
        objectives.*,
        scores.score,
        scores.projected_score,
        coalesce(key_result_counts.key_result_count, 0) as key_result_count,
        coalesce(key_result_counts.projected_green_count, 0) as projected_green_count
    from {{ ref('int_okr__objectives') }} as objectives
    left join {{ ref('int_okr__objective_scores') }} as scores
        using (date_day, client_id, objective_id)
    left join key_result_counts
        using (date_day, client_id, objective_id)

),

assessed as (

    select
        *,
        {{ okr_expected_progress('period_start', 'period_end', 'date_day') }} as expected_progress
    from joined

),

final as (

    select
        *,
        {{ okr_grade('score') }} as grade,
        {{ okr_health('score', 'expected_progress', 'period_end', 'date_day') }} as health
    from assessed

)

select * from final
