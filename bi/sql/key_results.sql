-- Key results with their objective and period: current value against target, where the
-- number came from (check-in, KPI, start value or the final grade), confidence, score, grade,
-- expected progress and health.
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
    k.health
from okr_key_results as k
inner join okr_objectives as o
    on k.client_id = o.client_id and k.objective_id = o.objective_id
order by k.client_id, o.period, k.objective_id, k.key_result_id
