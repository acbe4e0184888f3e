{#-
    The moments the replay describes in this run, one slice per day (date_day), each described
    at known_at. Every replay model has one row set per slice.

    The current slice is the `as_of` day, described at `as_of` (is_current): the current-state
    marts select it. With okr_daily_history (the default) the days of the daily marts come too,
    each described at its end: every day from the earliest objective period start when built
    with `as_of`, with --full-refresh or for the first time; otherwise only what may have
    changed since the previous build of this model, whose rows it reads from {{ this }} before
    replacing them: from the previous build's last day, or from the earliest day on which an
    event or observation appended since then became known (occurred or observed, and recorded,
    by its end) if that is earlier. The daily marts replace their rows from the first slice on.

    The watermarks of what this build reads (built_through_*) are kept on every row for the next
    build. `okr build` drops this table after a build that did not finish, so that the next one
    slices every day (the daily marts may have missed days this one sliced).
-#}
{%- set previous = none -%}
{%- if execute and var('okr_daily_history') and var('as_of') is none and not flags.FULL_REFRESH -%}
    {%- set previous = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
{%- endif %}

with earliest as (

    select min(period_start) as first_day
    from {{ ref('stg_okr__events') }}
    where entity_type = 'objective'

),

-- what this build reads (0: nothing yet; sequence numbers start at 1)
watermarks as (

    select
        coalesce(events.event_no, 0) as built_through_event_no,
        coalesce(observations.observation_no, 0) as built_through_observation_no,
        observations.recorded_at as built_through_recorded_at
    from (
        select max(sequence_no) as event_no from {{ ref('stg_okr__events') }}
    ) as events
    cross join (
        select max(sequence_no) as observation_no, max(recorded_at) as recorded_at
        from {{ ref('stg_okr__observations') }}
    ) as observations

),

{%- if not var('okr_daily_history') %}

bounds as (

    select
        {{ okr_as_of_date() }} as first_day

),

{%- elif previous is not none %}

previous as (

    select
        max(date_day) as last_day,
        max(built_through_event_no) as event_no,
        max(built_through_observation_no) as observation_no,
        max(built_through_recorded_at) as recorded_at
    from {{ okr_previous_rows(previous) }}

),

appended_events as (

    select min(greatest(cast(events.occurred_at as date), cast(events.recorded_at as date))) as first_day
    from {{ ref('stg_okr__events') }} as events
    cross join previous
    where events.sequence_no > previous.event_no

),

appended_observations as (

    select min(greatest(observations.observed_date, cast(observations.recorded_at as date))) as first_day
    from {{ ref('stg_okr__observations') }} as observations
    cross join previous
    where
        observations.sequence_no > previous.observation_no
        -- extra observation relations have no sequence_no: what was recorded lately
        or (
            observations.origin <> 'okr_observations'
            and observations.recorded_at > {{ okr_dateadd(
                'hour',
                -var('okr_incremental_lookback_hours'),
                "coalesce(previous.recorded_at, cast('1900-01-01' as " ~ dbt.type_timestamp() ~ "))") }}
        )

),

bounds as (

    select
        -- a previous build without daily history kept no watermark: every day
        case
            when previous.event_no is null then earliest.first_day
            else least(previous.last_day, appended_events.first_day, appended_observations.first_day)
        end as first_day
    from previous
    cross join earliest
    cross join appended_events
    cross join appended_observations

),

{%- else %}

bounds as (

    select first_day from earliest

),

{%- endif %}

-- the sliced days end with the `as_of` day, which is always one
days as (

    {{ okr_day_spine(
        'least(coalesce((select first_day from bounds), ' ~ okr_as_of_date() ~ '), ' ~ okr_as_of_date() ~ ')',
        okr_as_of_date()) }}

),

final as (

    select
        days.date_day,
        {{ okr_is_current_slice('days.date_day') }} as is_current,
        case
            when {{ okr_is_current_slice('days.date_day') }} then {{ okr_as_of() }}
            else cast({{ okr_dateadd('day', 1, 'days.date_day') }} as {{ dbt.type_timestamp() }}) - interval '1 microsecond'
        end as known_at,
        {%- if var('okr_daily_history') %}
        watermarks.built_through_event_no,
        watermarks.built_through_observation_no,
        watermarks.built_through_recorded_at
        {%- else %}
        -- nothing for a later build with daily history to start from: it slices every day
        cast(null as {{ dbt.type_bigint() }}) as built_through_event_no,
        cast(null as {{ dbt.type_bigint() }}) as built_through_observation_no,
        cast(null as {{ dbt.type_timestamp() }}) as built_through_recorded_at
        {%- endif %}
    from days
    cross join watermarks

)

select * from final
