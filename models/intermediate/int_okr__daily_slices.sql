{#-
    The days the daily marts (okr_key_result_daily, okr_objective_daily) compute in this run,
    each described as at its end (the last one, the `as_of` day, as at `as_of`).

    Built with `as_of`, with --full-refresh, or before both marts exist: every day from the
    earliest objective period start to the `as_of` day. Otherwise only what may have changed:
    from the marts' last day (provisional when it was built before the day ended), or from the
    earliest day on which an event or observation appended since their last build became known
    (occurred or observed, and recorded, by its end) if that is earlier. The marts delete their
    rows from the first day listed here and insert the days listed here.
-#}
{%- set marts = [] -%}
{%- if execute and var('as_of') is none and not flags.FULL_REFRESH -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == model.package_name
            and node.name in ['okr_key_result_daily', 'okr_objective_daily'] -%}
            {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
            {%- if relation is not none -%}{%- do marts.append(relation) -%}{%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with earliest as (

    select min(period_start) as first_day
    from {{ ref('int_okr__objective_versions') }}

),

{%- if marts | length == 2 %}

built as (

    select
        min(last_day) as last_day,
        coalesce(min(event_no), -1) as event_no,
        coalesce(min(observation_no), -1) as observation_no,
        coalesce(min(recorded_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) as recorded_at
    from (
        {%- for mart in marts %}
        select
            max(date_day) as last_day,
            max(built_through_event_no) as event_no,
            max(built_through_observation_no) as observation_no,
            max(built_through_recorded_at) as recorded_at
        from {{ mart }}
        {{- ' union all' if not loop.last }}
        {%- endfor %}
    ) as marts

),

appended_events as (

    select min(greatest(cast(events.occurred_at as date), cast(events.recorded_at as date))) as first_day
    from {{ ref('stg_okr__events') }} as events
    cross join built
    where events.sequence_no > built.event_no

),

appended_observations as (

    select min(greatest(observations.observed_date, cast(observations.recorded_at as date))) as first_day
    from {{ ref('stg_okr__observations') }} as observations
    cross join built
    where
        observations.sequence_no > built.observation_no
        -- extra observation relations have no sequence_no: what was recorded lately
        or (
            observations.origin <> 'okr_observations'
            and observations.recorded_at > {{ dbt.dateadd(
                'hour', -var('okr_incremental_lookback_hours'), 'built.recorded_at') }}
        )

),

bounds as (

    select
        least(
            coalesce(built.last_day, earliest.first_day),
            appended_events.first_day,
            appended_observations.first_day
        ) as first_day
    from built
    cross join earliest
    cross join appended_events
    cross join appended_observations

),

{%- else %}

bounds as (

    select first_day from earliest

),

{%- endif %}

days as (

    select cast(day_start as date) as date_day
    from bounds
    cross join generate_series(
        cast(bounds.first_day as {{ dbt.type_timestamp() }}),
        cast({{ okr_as_of_date() }} as {{ dbt.type_timestamp() }}),
        interval '1 day'
    ) as spine (day_start)

),

-- what this build reads, kept in the marts' rows for the next build to compare with
watermarks as (

    select
        events.event_no as built_through_event_no,
        observations.observation_no as built_through_observation_no,
        observations.recorded_at as built_through_recorded_at
    from (
        select max(sequence_no) as event_no from {{ ref('stg_okr__events') }}
    ) as events
    cross join (
        select max(sequence_no) as observation_no, max(recorded_at) as recorded_at
        from {{ ref('stg_okr__observations') }}
    ) as observations

),

final as (

    select
        days.date_day,
        -- the moment each day is described at: its end, or `as_of` on its own day
        case
            when days.date_day = {{ okr_as_of_date() }} then {{ okr_as_of() }}
            else cast({{ dbt.dateadd('day', 1, 'days.date_day') }} as {{ dbt.type_timestamp() }}) - interval '1 microsecond'
        end as known_at,
        watermarks.built_through_event_no,
        watermarks.built_through_observation_no,
        watermarks.built_through_recorded_at
    from days
    cross join watermarks

)

select * from final
