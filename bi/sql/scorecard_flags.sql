-- The scorecard per client, period, level and owner: counts, average score, counts per grade
-- and health, and the six flags (too many objectives or key results, a missing owner, stale,
-- a missed commitment, not ambitious).
select
    client_id,
    period,
    level,
    owner,
    objective_count,
    key_result_count,
    average_score,
    green_count,
    yellow_count,
    red_count,
    completed_count,
    on_track_count,
    at_risk_count,
    off_track_count,
    closed_count,
    too_many_objectives,
    too_many_key_results,
    missing_owner,
    stale,
    missed_commitment,
    not_ambitious
from okr_scorecard
order by client_id, period, level, owner
