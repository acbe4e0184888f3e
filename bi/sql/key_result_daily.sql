-- Burn-up: each key result's progress against expected progress, day by day over its window
-- up to the as-of day, as known on each day; then, from the as-of day to the due date, the
-- forecast: a straight line from today's progress to the projected progress, and its 80% band,
-- which widens from nothing today as the forecast's spread does (by sqrt(j (1 + j / n)) on day
-- j of h, n the days of the series). Last, the annotations in force on the key result, one row
-- per day in force and one for the day after (so a chart can shade whole days), each with
-- `annotation` its text and `annotation_band` 1 (the top of a burn-up: 100% of the way).
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
    cast(null as double precision) as forecast_high,
    cast(null as varchar) as annotation,
    cast(null as double precision) as annotation_band
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
    forecast_progress + (projected_progress_high - projected_progress) * widening as forecast_high,
    cast(null as varchar) as annotation,
    cast(null as double precision) as annotation_band
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

union all

select distinct
    a.client_id,
    o.period,
    a.key_result_id,
    k.title as key_result,
    a.date_day + cast(g.j as integer) as date_day,
    cast(null as double precision) as progress,
    cast(null as double precision) as expected_progress,
    cast(null as double precision) as score,
    cast(null as varchar) as health,
    cast(null as double precision) as forecast_progress,
    cast(null as double precision) as forecast_low,
    cast(null as double precision) as forecast_high,
    a.annotation_text as annotation,
    cast(1 as double precision) as annotation_band
from okr_annotation_days as a
inner join okr_key_results as k
    on a.client_id = k.client_id and a.key_result_id = k.key_result_id
inner join okr_objectives as o
    on a.client_id = o.client_id and a.objective_id = o.objective_id
cross join generate_series(0, 1) as g (j)
where a.subject_type = 'key_result'
order by client_id, key_result_id, date_day
