-- A prepared batch of observations (okr_ingest_candidates, okr_ingest_rejections) appended in
-- one transaction of the warehouse, DuckDB or PostgreSQL. Run statement by statement, by name,
-- from okr_plugin/ingest.py.

-- name: matches
-- the candidates already stored, and whether with the same content
create temp table okr_ingest_matches as
select
    c.event_id,
    (o.client_id, o.kpi_id, o.observed_at, o.value, o.source, o.segment)
        is not distinct from (c.client_id, c.kpi_id, c.observed_at, c.value, c.source, c.segment)
        as is_same
from okr_ingest_candidates as c
inner join okr_observations as o on o.event_id = c.event_id

-- name: count_stored
select count(*) from okr_ingest_matches where is_same

-- name: count_new
-- the rows insert_new adds: counted in the batch, not in the (large) stored table
select count(*) from okr_ingest_candidates as c
where not exists (select 1 from okr_ingest_matches as m where m.event_id = c.event_id)

-- name: reject_conflicts
insert into okr_ingest_rejections (source_file, line_no, event_id, raw_text, reason)
select
    c.source_file, c.line_no, c.event_id,
    concat_ws(',', c.event_id, c.client_id, c.kpi_id, cast(c.observed_at as varchar),
        cast(c.value as varchar), c.source, c.segment),
    'event_id ' || c.event_id || ' is already stored with different content;'
    || ' a correction needs a new event_id (or none: one is derived from the content)'
from okr_ingest_candidates as c
inner join okr_ingest_matches as m on m.event_id = c.event_id
where not m.is_same

-- name: insert_new
insert into okr_observations (
    event_id, client_id, kpi_id, observed_at, value, source, segment, recorded_at, sequence_no
)
select
    c.event_id, c.client_id, c.kpi_id, c.observed_at, c.value, c.source, c.segment,
    c.recorded_at, :last_sequence_no + c.batch_position
from okr_ingest_candidates as c
where not exists (select 1 from okr_ingest_matches as m where m.event_id = c.event_id)

-- name: count_rejected
select count(*) from okr_ingest_rejections

-- name: insert_rejections
insert into okr_rejected_events (
    rejection_no, stream, source, line_no, event_id, raw_text, reason, rejected_at
)
select
    :last_rejection_no + row_number() over (order by r.source_file, r.line_no),
    'okr_observations', r.source_file, r.line_no, r.event_id, coalesce(r.raw_text, ''),
    r.reason, :now
from okr_ingest_rejections as r

-- name: first_rejections
select * from okr_ingest_rejections order by source_file, line_no limit {{ shown }}

-- name: drop_matches
drop table okr_ingest_matches
