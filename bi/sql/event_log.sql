-- What changed: every goal event, newest first, with its one-line summary. `period` is the
-- calendar quarter in which the change took effect, e.g. 2026-Q3.
select
    client_id,
    cast(extract(year from occurred_at) as varchar)
    || '-Q' || cast(extract(quarter from occurred_at) as varchar) as period,
    occurred_at,
    recorded_at,
    actor,
    event_type,
    entity_type,
    entity_name,
    summary,
    sequence_no
from okr_event_log
order by client_id, occurred_at desc, sequence_no desc
