-- Key results with their objective and period: current value against target, where the
-- number came from (check-in, KPI, start value or the final grade), confidence, score, grade,
-- expected progress and health; and "will we make it?": where the forecast lands by the due
-- date, its 80% band, the odds of meeting the target, and the pace it takes against today's.
select
    k.client_id,
    o.period,
    k.objective_id,
    o.title as objective_title,
    k.key_result_id,
    k.title,
    k.owner,
    k.scoring,
    k.current_value,
    k.target_value,
    k.unit,
    k.value_source,
    k.confidence,
    k.progress,
    k.score,
    k.grade,
    k.expected_progress,
    k.health,
    k.forecast_method,
    k.projected_value,
    k.projected_value_low,
    k.projected_value_high,
    k.projected_score,
    k.probability_of_target,
    k.required_pace,
    k.current_pace
from okr_key_results as k
inner join okr_objectives as o
    on k.client_id = o.client_id and k.objective_id = o.objective_id
order by k.client_id, o.period, k.objective_id, k.key_result_id
