-- Objectives in alignment order: each company objective, then the objectives aligned beneath
-- it (alignment_path sorts them so), with score, grade, expected progress and health.
-- `objective` is the title indented by its depth (em spaces, which HTML keeps, and an arrow)
-- when its parent is of the same period (one of another period is not listed beside it).
select
    o.client_id,
    o.period,
    a.alignment_path,
    a.depth,
    o.objective_id,
    o.title,
    case
        when p.period = o.period then repeat(' ', 2 * a.depth) || '↳ ' || o.title
        else o.title
    end as objective,
    o.level,
    o.kind,
    o.owner,
    o.score,
    o.grade,
    o.expected_progress,
    o.health,
    o.key_result_count
from okr_objectives as o
inner join (
    select client_id, objective_id, depth, path as alignment_path from okr_alignment
) as a
    on o.client_id = a.client_id and o.objective_id = a.objective_id
left join okr_objectives as p
    on o.client_id = p.client_id and o.parent_objective_id = p.objective_id
order by o.client_id, a.alignment_path
