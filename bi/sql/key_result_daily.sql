-- Burn-up: each key result's progress against expected progress, day by day over its window
-- up to the as-of day, as known on each day.
select
    d.client_id,
    o.period,
    d.key_result_id,
    d.title as key_result,
    d.date_day,
    d.progress,
    d.expected_progress,
    d.score,
    d.health
from okr_key_result_daily as d
inner join okr_objectives as o
    on d.client_id = o.client_id and d.objective_id = o.objective_id
order by d.client_id, d.key_result_id, d.date_day
