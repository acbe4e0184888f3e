-- What `okr scorecard` and `okr report` read of the marts, by name (okr_plugin/marts.py). A
-- filter given as null (client, period) does not filter: coalesce(:x, column) takes the
-- column's type, which PostgreSQL needs to type a null parameter, with no engine's type name.

-- name: objectives
-- the objectives in alignment order, each with its depth in the tree
select
    o.client_id, o.objective_id, o.title, o.level, o.period, o.owner, o.kind, o.score, o.grade,
    o.expected_progress, o.health, o.projected_score, o.as_of_at, a.depth, a.path
from okr_objectives as o
left join okr_alignment as a
    on o.client_id = a.client_id and o.objective_id = a.objective_id
where
    o.client_id = coalesce(:client, o.client_id)
    and o.period is not distinct from coalesce(:period, o.period)
order by o.client_id, a.path, o.objective_id

-- name: key_results
select
    client_id, objective_id, key_result_id, title, owner, scoring, direction, unit,
    current_value, target_value, score, grade, health, value_source, window_start, due_date,
    forecast_method, projected_value, projected_value_low, projected_value_high,
    projected_progress, projected_progress_low, projected_progress_high, projected_score,
    probability_of_target, current_pace, required_pace, forecast_days, horizon_days,
    expected_progress
from okr_key_results
where client_id = coalesce(:client, client_id)
order by client_id, objective_id, key_result_id

-- name: scorecard
-- the scorecard's groups (owner, level, period), only the flagged ones with flagged_only
select * from okr_scorecard
where
    client_id = coalesce(:client, client_id)
    and period is not distinct from coalesce(:period, period)
    and (not :flagged_only or too_many_objectives or too_many_key_results or missing_owner
        or stale or missed_commitment or not_ambitious)
order by client_id, period_start, level, owner

-- name: period_bounds
select min(period_start) as period_start, max(period_end) as period_end
from okr_objectives where client_id = :client and period = :period

-- name: periods
select distinct period from okr_objectives where client_id = :client order by 1

-- name: key_result_days
select key_result_id, date_day, progress, expected_progress
from okr_key_result_daily
where client_id = :client and date_day between :first and :last
    and objective_id in (
        select objective_id from okr_objectives where client_id = :client and period = :period
    )
order by key_result_id, date_day

-- name: objectives_on
-- the period's objectives as a build as of the end of :day showed them (the headline figures
-- of the week before)
select objective_id, score
from okr_objective_daily
where client_id = :client and period = :period and date_day = :day

-- name: key_results_on
-- the client's key results as a build as of the end of :day showed them
select objective_id, health
from okr_key_result_daily
where client_id = :client and date_day = :day

-- name: annotation_spans
-- each annotation in force on a key result's days, as one span per key result
select key_result_id, annotation_text, min(date_day) as first_day, max(date_day) as last_day
from okr_annotation_days
where client_id = :client and subject_type = 'key_result' and date_day between :first and :last
group by key_result_id, annotation_id, annotation_text
order by key_result_id, first_day

-- name: kpis
select kpi_id, name, unit, aggregation from okr_kpis where client_id = :client

-- name: rollups
select kpi_id, period_start, value, previous_value, change_rate, attainment, is_complete
from okr_kpi_rollups
where client_id = :client and segment = 'all' and grain = :grain
    and period_start between :first and :last
order by kpi_id, period_start

-- name: annotations
select
    annotation_text, category, starts_on, ends_on, about,
    coalesce(key_result_id, objective_id, kpi_id) as subject
from okr_annotations
where client_id = :client and starts_on <= :last and ends_on >= :first
order by starts_on, annotation_id
