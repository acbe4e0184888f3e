-- A batch of observations in DuckDB, after the files are read into okr_ingest_rows (each
-- column as text, or typed where the file holds it typed): typed, checked, split into candidates and rejections. Run statement by
-- statement, by name, from okr_plugin/ingest.py, which gives the constants (Jinja).

{# A zone-less text is UTC (the session's time zone). #}
{% macro timestamp(text) -%}
cast(try_cast({{ text }} as timestamptz) at time zone 'UTC' as timestamp)
{%- endmacro %}

{# A value as the file gives it: its text, or the typed value as DuckDB writes it. #}
{% macro shown(column) -%}
coalesce({{ column }}_text, cast({{ column }} as varchar))
{%- endmacro %}

-- name: typed
-- A column read typed (<column>_typed) is taken as it is; its text is null.
create or replace temp view okr_ingest_typed as
select
    file_no, source_file, line_no, raw_text, problem,
    nullif(trim(event_id), '') as event_id,
    nullif(trim(client_id), '') as client_id,
    nullif(trim(kpi_id), '') as kpi_id,
    observed_at as observed_at_text,
    coalesce(observed_at_typed, {{ timestamp("nullif(trim(observed_at), '')") }}) as observed_at,
    value as value_text,
    coalesce(value_typed, try_cast(trim(value) as double)) as value,
    coalesce(nullif(trim(source), ''), {{ default_source }}) as source,
    nullif(trim(segment), '') as segment,
    recorded_at as recorded_at_text,
    coalesce(recorded_at_typed, {{ timestamp("nullif(trim(recorded_at), '')") }})
        as recorded_at
from okr_ingest_rows

-- name: checked
-- Each row with the first rule it breaks (reason, null when none), and its event id derived
-- from its content where the file has none; a rejected row keeps its line, or its fields.
create or replace temp table okr_ingest_checked as
with checked as (
    select
        *,
        case
            when problem is not null then problem
            when contains(concat_ws('|', event_id, client_id, kpi_id, observed_at_text,
                value_text, source, segment, recorded_at_text), chr(0))
                then 'a field ' || {{ nul_reason }}
            when observed_at is null and nullif(trim(coalesce(observed_at_text, '')), '') is null
                then 'observed_at is required'
            when value is null and nullif(trim(coalesce(value_text, '')), '') is null
                then 'value is required'
            when client_id is null then 'client_id is required'
            when kpi_id is null then 'kpi_id is required'
            when observed_at is null then 'observed_at ' || observed_at_text
                || ' is not a timestamp (ISO 8601, e.g. 2026-07-01 or 2026-07-01T09:00:00Z)'
            when year(observed_at) not between {{ first_year }} and {{ last_year }}
                then 'observed_at ' || {{ shown('observed_at') }} || ' is out of range'
            when value is null then 'value ' || value_text || ' is not a number'
            when not isfinite(value)
                then 'value ' || {{ shown('value') }} || ' is not a finite number'
            when recorded_at is null and recorded_at_text is not null
                and trim(recorded_at_text) <> ''
                then 'recorded_at ' || recorded_at_text || ' is not a timestamp'
            when recorded_at > cast({{ now }} as timestamp)
                then 'recorded_at ' || {{ shown('recorded_at') }} || ' ' || {{ future_reason }}
            when greatest(length(event_id), length(client_id), length(kpi_id)) > {{ max_id }}
                then 'ids are at most {{ max_id }} characters'
        end as reason
    from okr_ingest_typed
)
select
    * exclude (event_id, raw_text, problem, observed_at_text, value_text, recorded_at_text),
    case
        when reason is null then coalesce(event_id, 'obs_' || md5(concat_ws('|', client_id, kpi_id,
            strftime(observed_at, '%Y-%m-%dT%H:%M:%S.%f'), cast(value as varchar), source,
            coalesce(segment, ''))))
        else replace(event_id, chr(0), {{ nul_shown }})
    end as event_id,
    case when reason is not null then replace(coalesce(raw_text, cast(to_json({
        'event_id': event_id, 'client_id': client_id, 'kpi_id': kpi_id,
        'observed_at': {{ shown('observed_at') }}, 'value': {{ shown('value') }},
        'source': source, 'segment': segment,
        'recorded_at': {{ shown('recorded_at') }}}) as varchar)),
        chr(0), {{ nul_shown }}) end as raw_text
from checked

-- name: drop_typed
drop view okr_ingest_typed

-- name: drop_rows
drop table okr_ingest_rows

-- name: repeats
-- Rows whose event_id came earlier in the batch: the first is the candidate, a later one with
-- the same content a duplicate, with other content a conflict.
create or replace temp table okr_ingest_repeats as
with repeated as (
    select event_id from okr_ingest_checked where reason is null
    group by event_id having count(*) > 1
)
select
    checked.file_no, checked.line_no, checked.event_id,
    row_number() over same_id > 1 as is_repeat,
    (checked.client_id, checked.kpi_id, checked.observed_at, checked.value, checked.source,
        checked.segment)
        is not distinct from first_value((checked.client_id, checked.kpi_id, checked.observed_at,
        checked.value, checked.source, checked.segment)) over same_id as same_as_first
from okr_ingest_checked as checked
inner join repeated on checked.event_id = repeated.event_id
where checked.reason is null
window same_id as (
    partition by checked.event_id order by checked.file_no, checked.line_no
    rows between unbounded preceding and unbounded following
)

-- name: candidates
-- batch_position: the line's place in the batch (files in the order given), so that sequence
-- numbers follow the files without sorting the batch (gaps are harmless).
create or replace temp table okr_ingest_candidates as
with file_offsets as (
    select
        file_no,
        coalesce(sum(max(line_no)) over (
            order by file_no rows between unbounded preceding and 1 preceding), 0) as line_offset
    from okr_ingest_checked group by file_no
)
select
    event_id, client_id, kpi_id, observed_at, value, source, segment,
    coalesce(recorded_at, cast({{ now }} as timestamp)) as recorded_at,
    source_file, line_no, line_no + file_offsets.line_offset as batch_position
from okr_ingest_checked as checked
inner join file_offsets using (file_no)
where reason is null and not exists (
    select 1 from okr_ingest_repeats as r
    where r.is_repeat and r.file_no = checked.file_no and r.line_no = checked.line_no
)

-- name: rejections
create or replace temp table okr_ingest_rejections as
select source_file, line_no, event_id, raw_text, reason
from okr_ingest_checked where reason is not null
union all
select
    c.source_file, c.line_no, c.event_id,
    concat_ws(',', c.event_id, c.client_id, c.kpi_id, cast(c.observed_at as varchar),
        cast(c.value as varchar), c.source, c.segment),
    'event_id ' || c.event_id || ' appears earlier in this batch with different content'
from okr_ingest_checked as c
inner join okr_ingest_repeats as r on r.file_no = c.file_no and r.line_no = c.line_no
where r.is_repeat and not r.same_as_first

-- name: count_repeats
select count(*) from okr_ingest_repeats where is_repeat and same_as_first

-- name: drop_repeats
drop table okr_ingest_repeats

-- name: drop_checked
drop table okr_ingest_checked
