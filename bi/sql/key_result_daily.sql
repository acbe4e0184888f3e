-- Burn-up: each key result's progress against expected progress, day by day over its window
-- up to the as-of day, as known on each day; then, from the as-of day to the due date, the
-- forecast: a straight line from today's progress to the projected progress, and its 80% band,
-- which widens from nothing today as the forecast's spread does (by sqrt(j (1 + j / n)) on day
-- j of h, n the days of the series).
select
    d.client_id,
    o.period,
    d.key_result_id,
    d.title as key_result,
    d.date_day,
    d.progress,
    d.expected_progress,
    d.score,
    d.health,
    cast(null as double precision) as forecast_progress,
    cast(null as double precision) as forecast_low,
    cast(null as double precision) as forecast_high
from okr_key_result_daily as d
inner join okr_objectives as o
    on d.client_id = o.client_id and d.objective_id = o.objective_id

union all

select
    client_id,
    period,
    key_result_id,
    key_result,
    date_day,
    cast(null as double precision) as progress,
    expected_progress,
    cast(null as double precision) as score,
    cast(null as varchar) as health,
    forecast_progress,
    forecast_progress - (projected_progress - projected_progress_low) * widening as forecast_low,
    forecast_progress + (projected_progress_high - projected_progress) * widening as forecast_high
from (
    select
        k.client_id,
        o.period,
        k.key_result_id,
        k.title as key_result,
        cast(k.as_of_at as date) + cast(g.j as integer) as date_day,
        (k.expected_progress * (k.due_date - k.window_start + 1) + g.j)
            / (k.due_date - k.window_start + 1) as expected_progress,
        k.progress + g.j * (k.projected_progress - k.progress) / k.horizon_days as forecast_progress,
        k.projected_progress,
        k.projected_progress_low,
        k.projected_progress_high,
        -- the share of the band's final width on day j
        sqrt(
            g.j * (1 + g.j / cast(k.forecast_days as double precision))
            / (k.horizon_days * (1 + k.horizon_days / cast(k.forecast_days as double precision)))
        ) as widening
    from okr_key_results as k
    inner join okr_objectives as o
        on k.client_id = o.client_id and k.objective_id = o.objective_id
    cross join lateral generate_series(0, k.horizon_days) as g (j)
    where k.forecast_method = 'drift'
) as forecast
order by client_id, key_result_id, date_day
