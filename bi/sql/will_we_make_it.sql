-- Will we make it? Each key result with a forecast: where its value is heading by the due date
-- at this pace, against the target, with the 80% band, the odds of meeting the target and of a
-- green score, and the pace it takes from now against the pace so far (docs/rules.md,
-- Forecast).
select
    k.client_id,
    o.period,
    k.objective_id,
    k.key_result_id,
    k.title,
    k.unit,
    k.due_date,
    k.current_value,
    k.projected_value,
    k.target_value,
    k.projected_value_low,
    k.projected_value_high,
    k.probability_of_target,
    k.probability_of_green,
    k.required_pace,
    k.current_pace,
    k.projected_score,
    k.projected_grade,
    k.forecast_method
from okr_key_results as k
inner join okr_objectives as o
    on k.client_id = o.client_id and k.objective_id = o.objective_id
where k.forecast_method in ('drift', 'too_few_days', 'no_daily_history')
order by k.client_id, o.period, k.objective_id, k.key_result_id
