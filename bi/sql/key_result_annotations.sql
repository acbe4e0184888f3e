-- The annotations in force beside each key result's burn-up: what was noted (about the key
-- result, its objective, its KPI or the whole client) and the first and last day it touched.
select
    a.client_id,
    o.period,
    a.key_result_id,
    k.title as key_result,
    a.annotation_id,
    a.annotation_text,
    a.category,
    a.about,
    min(a.date_day) as first_day,
    max(a.date_day) as last_day
from okr_annotation_days as a
inner join okr_key_results as k
    on a.client_id = k.client_id and a.key_result_id = k.key_result_id
inner join okr_objectives as o
    on a.client_id = o.client_id and a.objective_id = o.objective_id
where a.subject_type = 'key_result'
group by
    a.client_id, o.period, a.key_result_id, k.title, a.annotation_id, a.annotation_text,
    a.category, a.about
order by a.client_id, a.key_result_id, first_day, a.annotation_id
