{#-
    KPI values per client, KPI, grain (day, ISO week, month, quarter, year), period and segment,
    by the KPI's aggregation rule, with the period before, the change and the attainment of the
    target at the KPI's target grain. segment = 'all' holds all observations together
    (observations without a segment count only there). A row exists for every period that has
    observations. Built from the daily partial aggregates, so each observation is read once.
-#}
with daily as (

    select * from {{ ref('int_okr__kpi_daily_segments') }}
    where known_to is null

),

kpis as (

    select client_id, kpi_id, aggregation, target_value, target_grain
    from {{ ref('int_okr__kpis') }}
    where {{ okr_is_current_slice() }}

),

periods as (

    {%- for grain in okr_kpi_grains() %}
    select
        daily.*,
        '{{ grain.name }}' as grain,
        cast({{ dbt.date_trunc(grain.name, 'daily.date_day') }} as date) as period_start
    from daily
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

by_segment_totals as (

    select
        client_id,
        kpi_id,
        grain,
        period_start,
        segment,
        segment_key,
        sum(total) as total,
        sum(observation_count) as observation_count,
        min(minimum) as minimum,
        max(maximum) as maximum
    from periods
    group by client_id, kpi_id, grain, period_start, segment, segment_key

),

-- the latest observation of each period, only for KPIs whose rule needs it
latest as (

    select
        periods.client_id,
        periods.kpi_id,
        periods.grain,
        periods.period_start,
        periods.segment_key,
        periods.last_value,
        row_number() over (
            partition by periods.client_id, periods.kpi_id, periods.grain, periods.period_start, periods.segment_key
            order by {{ okr_latest_day_first('periods.') }}
        ) as recency
    from periods
    inner join kpis
        on periods.client_id = kpis.client_id
        and periods.kpi_id = kpis.kpi_id
    where kpis.aggregation = 'last'

),

by_segment as (

    select
        totals.client_id,
        totals.kpi_id,
        totals.grain,
        totals.period_start,
        totals.segment,
        totals.total,
        totals.observation_count,
        totals.minimum,
        totals.maximum,
        latest.last_value
    from by_segment_totals as totals
    left join latest
        on totals.client_id = latest.client_id
        and totals.kpi_id = latest.kpi_id
        and totals.grain = latest.grain
        and totals.period_start = latest.period_start
        and totals.segment_key = latest.segment_key
        and latest.recency = 1

),

all_segments as (

    -- `last` across segments: the sum of each segment's latest
    select
        client_id,
        kpi_id,
        grain,
        period_start,
        'all' as segment,
        sum(total) as total,
        sum(observation_count) as observation_count,
        min(minimum) as minimum,
        max(maximum) as maximum,
        sum(last_value) as last_value
    from by_segment
    group by client_id, kpi_id, grain, period_start

),

combined as (

    select * from by_segment where segment is not null
    union all
    select * from all_segments

),

valued as (

    select
        combined.client_id,
        combined.kpi_id,
        combined.grain,
        combined.period_start,
        combined.segment,
        {{ okr_aggregate_by_rule(
            'kpis.aggregation', 'combined.total', 'combined.observation_count',
            'combined.minimum', 'combined.maximum', 'combined.last_value') }} as value,
        combined.observation_count,
        case when kpis.target_grain = combined.grain then kpis.target_value end as target_value,
        case combined.grain
            {%- for grain in okr_kpi_grains() %}
            when '{{ grain.name }}' then cast({{ okr_dateadd(grain.datepart, -grain.step, 'combined.period_start') }} as date)
            {%- endfor %}
        end as previous_period_start,
        case combined.grain
            {%- for grain in okr_kpi_grains() %}
            when '{{ grain.name }}' then cast({{ okr_dateadd(grain.datepart, grain.step, 'combined.period_start') }} as date)
            {%- endfor %}
        end as next_period_start
    from combined
    inner join kpis
        on combined.client_id = kpis.client_id
        and combined.kpi_id = kpis.kpi_id

),

compared as (

    select
        *,
        lag(period_start) over series as listed_previous_start,
        lag(value) over series as listed_previous_value
    from valued
    window series as (partition by client_id, kpi_id, grain, segment order by period_start)

),

final as (

    select
        cast(client_id as {{ dbt.type_string() }}) as client_id,
        cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
        cast(grain as {{ dbt.type_string() }}) as grain,
        cast(period_start as date) as period_start,
        cast({{ okr_dateadd('day', -1, 'next_period_start') }} as date) as period_end,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(value as {{ okr_type_double() }}) as value,
        cast(observation_count as {{ dbt.type_bigint() }}) as observation_count,
        -- the period just before, when it has observations (not merely the previous row)
        cast(case when listed_previous_start = previous_period_start then listed_previous_value end
            as {{ okr_type_double() }}) as previous_value,
        cast(value - case when listed_previous_start = previous_period_start then listed_previous_value end
            as {{ okr_type_double() }}) as change_abs,
        cast({{ okr_safe_divide(
            'value - listed_previous_value',
            'case when listed_previous_start = previous_period_start then abs(listed_previous_value) end') }}
            as {{ okr_type_double() }}) as change_rate,
        cast(target_value as {{ okr_type_double() }}) as target_value,
        cast({{ okr_safe_divide('value', 'target_value') }} as {{ okr_type_double() }}) as attainment,
        next_period_start <= {{ okr_dateadd('microsecond', 1, okr_as_of()) }} as is_complete,
        {{ okr_as_of() }} as as_of_at
    from compared

)

select * from final
