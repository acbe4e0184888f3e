{#-
    Partial aggregates of each KPI per client, segment (null: observations without one) and
    UTC day, from which every rollup grain and rule is computed: total, count, min, max, and
    the latest observation of the day (greatest observed_at, then recorded_at, then
    sequence_no) with what orders it.

    Each day's aggregates as known from one day (known_from) until the next change (known_to,
    null for what is known now): an observation is known from the end of the later of the day it
    was observed and the day it was recorded, and a correction replaces what it corrects from
    its own day on. The KPI marts read the rows with known_to null; a key result in a slice reads
    each day's aggregates as known at the end of the slice's day. Almost every day has one row.

    The observation-heavy step, so it is incremental when built without `as_of`: a run
    recomputes, from all their observations, only the days (per client, KPI and segment) that
    received observations since the last run: appended after the highest sequence_no already
    in the table (this catches backfills that carry an old recorded_at), recorded since the
    latest recorded_at in the table less okr_incremental_lookback_hours (this catches rows of
    extra observation relations, which have no sequence_no), or observed after the moment the
    last run described (as_of_at: rows stored then with a later observed_at, invisible until
    now). Late rows (observed long ago, arriving now) and corrections land in days the run
    recomputes. Built with `as_of` it is a plain table of what was visible then; the next
    incremental run catches up from there. as_of_at tells okr_kpi_rollups which days a run
    recomputed.
-#}
-- depends_on: {{ ref('stg_okr__observations') }}
{{ config(
    materialized='incremental' if var('as_of') is none else 'table',
    on_schema_change='fail',
    **okr_incremental_config('delete+insert', ['client_id', 'kpi_id', 'segment_key', 'date_day', 'known_from'])
) }}
{#- Where a run overwrites whole days (Spark on Parquet), it recomputes every row of each day
    it touches: every client, KPI and segment of the day, not only those with new rows. -#}
{%- set whole_days = okr_replaces_whole_days() %}

with

{% if is_incremental() %}

since as (

    select
        coalesce(max(max_sequence_no), 0) as sequence_after,
        {{ okr_dateadd(
            'hour',
            -var('okr_incremental_lookback_hours'),
            "coalesce(max(max_recorded_at), cast('1900-01-01' as " ~ dbt.type_timestamp() ~ "))") }} as recorded_after,
        max(as_of_at) as observed_after
    from {{ this }}

),

touched as (

    select distinct {% if not whole_days %}client_id, kpi_id, segment, {% endif %}observed_date
    from {{ ref('stg_okr__observations') }}
    where
        sequence_no > (select sequence_after from since)
        or recorded_at > (select recorded_after from since)
        or observed_at > (select observed_after from since)

),

versions as (

    select observations.*
    from {{ ref('stg_okr__observations') }} as observations
    inner join touched
        on {% if not whole_days %}observations.client_id = touched.client_id
        and observations.kpi_id = touched.kpi_id
        and {% endif %}observations.observed_date = touched.observed_date
        {%- if not whole_days %}
        and {{ okr_segment_key('observations.segment') }} = {{ okr_segment_key('touched.segment') }}
        {%- endif %}

),

{% else %}

versions as (

    select * from {{ ref('stg_okr__observations') }}

),

{% endif %}

known_versions as (

    select
        *,
        {{ okr_segment_key('segment') }} as segment_key,
        greatest(observed_date, cast(recorded_at as date)) as known_day
    from versions

),

changes as (

    select distinct client_id, kpi_id, segment_key, observed_date, known_day as known_from
    from known_versions

),

-- every version known by each day on which the day's aggregates changed
known as (

    select changes.known_from, known_versions.*
    from changes
    inner join known_versions
        on changes.client_id = known_versions.client_id
        and changes.kpi_id = known_versions.kpi_id
        and changes.segment_key = known_versions.segment_key
        and changes.observed_date = known_versions.observed_date
        and known_versions.known_day <= changes.known_from

),

-- corrections: observations with the same client, KPI, observed_at, source and segment
-- describe one fact; among those known by each day, the one recorded last (then the higher
-- sequence_no) wins
current_observations as (

    select *
    from (
        select
            *,
            row_number() over (
                partition by known_from, client_id, kpi_id, observed_at, source, segment
                order by recorded_at desc, sequence_no desc, event_id desc
            ) as correction_rank
        from known
    ) as ranked
    where correction_rank = 1

),

observations as (

    select
        *,
        row_number() over (
            partition by known_from, client_id, kpi_id, segment, observed_date
            order by {{ okr_latest_observation_first() }}
        ) as recency
    from current_observations

),

final as (

    select
        client_id,
        kpi_id,
        segment,
        {{ okr_segment_key('segment') }} as segment_key,
        observed_date as date_day,
        known_from,
        lead(known_from) over (
            partition by client_id, kpi_id, segment, observed_date order by known_from
        ) as known_to,
        sum(value) as total,
        count(*) as observation_count,
        min(value) as minimum,
        max(value) as maximum,
        max(case when recency = 1 then value end) as last_value,
        max(case when recency = 1 then observed_at end) as last_observed_at,
        max(case when recency = 1 then recorded_at end) as last_recorded_at,
        max(case when recency = 1 then sequence_no end) as last_sequence_no,
        max(case when recency = 1 then event_id end) as last_event_id,
        max(recorded_at) as max_recorded_at,
        max(sequence_no) as max_sequence_no,
        {{ okr_as_of() }} as as_of_at
    from observations
    group by client_id, kpi_id, segment, observed_date, known_from

)

select * from final
