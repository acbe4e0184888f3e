{#-
    How good the forecasts have been (docs/rules.md, Forecast accuracy): over the key results
    whose due date has passed by `as_of`, the forecasts made when 25%, 50% and 75% of their
    window had elapsed (the daily row of the first day by which that share had), read back from
    okr_key_result_daily and compared with the final value (current_value in okr_key_results).
    Each forecast is judged against its own definition (the target and start in effect the day
    it was made), so a target changed afterwards is not counted as an error. Only forecasts with
    a band (forecast_method drift) count.

    One row per client, period and checkpoint (scope period), per client and checkpoint over
    every period (scope client, period null), and per checkpoint over every client (scope
    overall, client_id null: a client's role does not see it on PostgreSQL).
-#}
{{ config(enabled=var('okr_daily_history')) }}

with closed as (

    select
        key_results.client_id,
        key_results.key_result_id,
        key_results.window_start,
        key_results.current_value as final_value,
        objectives.period,
        {{ dbt.datediff('key_results.window_start', 'key_results.due_date', 'day') }} + 1 as window_days
    from {{ ref('okr_key_results') }} as key_results
    inner join {{ ref('okr_objectives') }} as objectives
        on key_results.client_id = objectives.client_id
        and key_results.objective_id = objectives.objective_id
    where key_results.due_date < {{ okr_as_of_date() }}

),

checkpoints as (

    select 0.25 as elapsed_share union all select 0.5 union all select 0.75

),

-- the first day by which the share had elapsed: day ceil(share x window days) of the window
checkpoint_days as (

    select
        closed.*,
        checkpoints.elapsed_share,
        cast({{ okr_dateadd('day', 'cast(ceil(checkpoints.elapsed_share * closed.window_days) as integer) - 1', 'closed.window_start') }} as date) as forecast_day
    from closed
    cross join checkpoints

),

judged as (

    select
        checkpoint_days.client_id,
        checkpoint_days.period,
        checkpoint_days.elapsed_share,
        cast(case
            when checkpoint_days.final_value between daily.projected_value_low and daily.projected_value_high then 1
            else 0
        end as {{ okr_type_double() }}) as covered,
        abs(daily.projected_progress - {{ okr_kr_progress(
            'daily.scoring', 'daily.direction', 'daily.start_value', 'daily.target_value', 'checkpoint_days.final_value') }}) as absolute_error,
        power(daily.probability_of_target - case
            when {{ okr_meets('checkpoint_days.final_value', 'daily.target_value', "daily.direction in ('decrease', 'at_most')") }}
                then 1
            else 0
        end, 2) as squared_error
    from checkpoint_days
    inner join {{ ref('okr_key_result_daily') }} as daily
        on checkpoint_days.client_id = daily.client_id
        and checkpoint_days.key_result_id = daily.key_result_id
        and checkpoint_days.forecast_day = daily.date_day
    where daily.forecast_method = 'drift'

),

scoped as (

    select 'period' as scope, client_id, period, elapsed_share, covered, absolute_error, squared_error
    from judged

    union all

    select 'client', client_id, null, elapsed_share, covered, absolute_error, squared_error
    from judged

    union all

    select 'overall', null, null, elapsed_share, covered, absolute_error, squared_error
    from judged

),

summed as (

    select
        scope,
        client_id,
        period,
        elapsed_share,
        count(*) as forecasts,
        -- sums that do not depend on the order of the rows (okr_exact_sum): a rebuild gives
        -- the same last digit
        {{ okr_exact_sum('covered') }} / count(*) as band_coverage,
        {{ okr_exact_sum('absolute_error', scale=9) }} / count(*) as mean_absolute_error,
        {{ okr_exact_sum('squared_error') }} / count(*) as brier_score,
        {{ okr_as_of() }} as as_of_at
    from scoped
    group by scope, client_id, period, elapsed_share

),

final as (

    select
        {{ okr_contract_columns() }}
    from summed

)

select * from final
