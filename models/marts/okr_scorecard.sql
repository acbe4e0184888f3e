{#-
    One row per client, period, level and owner of active objectives at `as_of`: how many
    objectives and key results, their average score, counts per grade and per health, and the
    flags of a healthy OKR practice. Limits are dbt variables (okr_scorecard_*).
-#}
with objectives as (

    select * from {{ ref('okr_objectives') }}

),

key_results as (

    select
        key_results.*,
        objectives.period,
        objectives.level,
        objectives.owner as objective_owner
    from {{ ref('okr_key_results') }} as key_results
    inner join objectives
        on key_results.client_id = objectives.client_id
        and key_results.objective_id = objectives.objective_id

),

key_result_flags as (

    select
        client_id,
        period,
        level,
        objective_owner as owner,
        count(*) as key_result_count,
        sum(case when owner is null then 1 else 0 end) as key_results_without_owner,
        -- no check-in or observation for stale_days while the window runs
        sum(case
            when {{ okr_as_of_date() }} between window_start and due_date
                and coalesce(cast(last_activity_at as date), window_start)
                    < {{ okr_dateadd('day', -var('okr_scorecard_stale_days'), okr_as_of_date()) }}
            then 1 else 0
        end) as stale_key_results
    from key_results
    group by client_id, period, level, objective_owner

),

grouped as (

    select
        client_id,
        period,
        min(period_start) as period_start,
        max(period_end) as period_end,
        level,
        owner,
        count(*) as objective_count,
        {{ okr_safe_divide(okr_exact_sum('score'), 'count(score)') }} as average_score,
        sum(case when grade = 'green' then 1 else 0 end) as green_count,
        sum(case when grade = 'yellow' then 1 else 0 end) as yellow_count,
        sum(case when grade = 'red' then 1 else 0 end) as red_count,
        sum(case when health = 'completed' then 1 else 0 end) as completed_count,
        sum(case when health = 'on_track' then 1 else 0 end) as on_track_count,
        sum(case when health = 'at_risk' then 1 else 0 end) as at_risk_count,
        sum(case when health = 'off_track' then 1 else 0 end) as off_track_count,
        sum(case when health = 'closed' then 1 else 0 end) as closed_count,
        sum(case when key_result_count > {{ var('okr_scorecard_max_key_results') }} then 1 else 0 end)
            as objectives_with_too_many_key_results,
        sum(case when kind = 'committed' and health = 'closed' and not {{ okr_reaches('score', 1) }} then 1 else 0 end)
            as missed_commitments,
        {{ okr_safe_divide(
            okr_exact_sum("case when kind = 'aspirational' then score end"),
            "count(case when kind = 'aspirational' then score end)") }} as aspirational_average_score
    from objectives
    group by client_id, period, level, owner

),

flagged as (

    select
        grouped.*,
        coalesce(flags.key_result_count, 0) as key_result_count,
        grouped.objective_count > {{ var('okr_scorecard_max_objectives') }} as too_many_objectives,
        grouped.objectives_with_too_many_key_results > 0 as too_many_key_results,
        coalesce(flags.key_results_without_owner, 0) > 0 as missing_owner,
        coalesce(flags.stale_key_results, 0) > 0 as stale,
        grouped.missed_commitments > 0 as missed_commitment,
        coalesce(
            grouped.period_end < {{ okr_as_of_date() }}
            and not {{ okr_reaches(var('okr_scorecard_ambition_ceiling'), 'grouped.aspirational_average_score') }},
            false
        ) as not_ambitious,
        {{ okr_as_of() }} as as_of_at
    from grouped
    left join key_result_flags as flags
        on grouped.client_id = flags.client_id
        and grouped.period is not distinct from flags.period
        and grouped.level = flags.level
        and grouped.owner is not distinct from flags.owner

),

final as (

    select
        {{ okr_contract_columns() }}
    from flagged

)

select * from final
