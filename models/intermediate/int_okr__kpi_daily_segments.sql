{#-
    Partial aggregates of each KPI per client, segment (null: observations without one) and
    UTC day, from which every rollup grain and rule is computed: total, count, min, max, and
    the latest observation of the day (greatest observed_at, then recorded_at, then
    sequence_no) with what orders it.
-#}
with observations as (

    select
        *,
        row_number() over (
            partition by client_id, kpi_id, segment, observed_date
            order by {{ okr_latest_observation_first() }}
        ) as recency
    from {{ ref('int_okr__observations_current') }}

),

final as (

    select
        client_id,
        kpi_id,
        segment,
        observed_date as date_day,
        sum(value) as total,
        count(*) as observation_count,
        min(value) as minimum,
        max(value) as maximum,
        max(case when recency = 1 then value end) as last_value,
        max(case when recency = 1 then observed_at end) as last_observed_at,
        max(case when recency = 1 then recorded_at end) as last_recorded_at,
        max(case when recency = 1 then sequence_no end) as last_sequence_no
    from observations
    group by client_id, kpi_id, segment, observed_date

)

select * from final
