{#-
    KPI values per client, KPI, grain (day, ISO week, month, quarter, year), period and segment,
    by the KPI's aggregation rule, with the period before, the change and the attainment of the
    target at the KPI's target grain. segment = 'all' holds all observations together
    (observations without a segment count only there). A row exists for every period that has
    observations. Built from the daily partial aggregates, so each observation is read once.

    Incremental when built without `as_of` (a plain table with it, and on Spark, whose Parquet
    tables cannot delete rows). A run recomputes whole periods (every segment of a client, KPI,
    grain and period_start): those with a day int_okr__kpi_daily_segments computed since the
    last run (its as_of_at is later), the period after each (its previous_value and change),
    and every period of a KPI whose aggregation, target or target grain differs from the one
    the stored rows were built with (or that has no rows yet); it reads the period before each
    touched one as well, for previous_value. The rows it writes replace the stored rows of the
    same key. A post-hook then moves is_complete and as_of_at of every other row to this run's
    moment: a period that ended since the last run turns complete without being recomputed.
-#}
{{ config(
    materialized='incremental' if okr_rollups_incremental() else 'table',
    incremental_strategy='delete+insert',
    unique_key=['client_id', 'kpi_id', 'grain', 'period_start', 'segment'],
    on_schema_change='fail',
    post_hook="{{ okr_kpi_rollups_to_now() }}"
) }}

with daily as (

    select * from {{ ref('int_okr__kpi_daily_segments') }}
    where known_to is null

),

kpis as (

    select client_id, kpi_id, aggregation, target_value, target_grain
    from {{ ref('int_okr__kpis') }}
    where {{ okr_is_current_slice() }}

),

all_periods as (

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

{% if is_incremental() %}

previous_run as (

    select max(as_of_at) as as_of_at from {{ this }}

),

built_with as (

    select
        client_id,
        kpi_id,
        max(aggregation) as aggregation,
        max(target_grain) as target_grain,
        max(target_value) as target_value
    from {{ this }}
    group by client_id, kpi_id

),

-- KPIs whose rule or target changed since their rows were built, or that have no rows yet
redefined as (

    select kpis.client_id, kpis.kpi_id
    from kpis
    left join built_with
        on kpis.client_id = built_with.client_id
        and kpis.kpi_id = built_with.kpi_id
    where
        built_with.kpi_id is null
        or kpis.aggregation is distinct from built_with.aggregation
        or kpis.target_grain is distinct from built_with.target_grain
        or case when kpis.target_grain is not null then kpis.target_value end
            is distinct from built_with.target_value

),

touched as (

    select distinct client_id, kpi_id, grain, period_start
    from all_periods
    where as_of_at > (select as_of_at from previous_run)

),

recomputed as (

    select client_id, kpi_id, grain, period_start from touched
    union
    select client_id, kpi_id, grain, {{ okr_kpi_period_after('grain', 'period_start', 1) }}
    from touched

),

read_periods as (

    select client_id, kpi_id, grain, period_start from recomputed
    union
    select client_id, kpi_id, grain, {{ okr_kpi_period_after('grain', 'period_start', -1) }}
    from touched

),

{% endif %}

periods as (

    select * from all_periods
    {%- if is_incremental() %}
    where {{ okr_kpi_rollups_selected('read_periods', 'all_periods') }}
    {%- endif %}

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
        kpis.aggregation,
        kpis.target_grain,
        {{ okr_kpi_period_after('combined.grain', 'combined.period_start', -1) }} as previous_period_start,
        {{ okr_kpi_period_after('combined.grain', 'combined.period_start', 1) }} as next_period_start
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

measured as (

    select
        client_id,
        kpi_id,
        grain,
        period_start,
        {{ okr_dateadd('day', -1, 'next_period_start') }} as period_end,
        segment,
        value,
        observation_count,
        -- the period just before, when it has observations (not merely the previous row)
        case when listed_previous_start = previous_period_start then listed_previous_value end as previous_value,
        value - case when listed_previous_start = previous_period_start then listed_previous_value end as change_abs,
        {{ okr_safe_divide(
            'value - listed_previous_value',
            'case when listed_previous_start = previous_period_start then abs(listed_previous_value) end') }}
            as change_rate,
        target_value,
        {{ okr_safe_divide('value', 'target_value') }} as attainment,
        aggregation,
        target_grain,
        {{ okr_period_is_complete('next_period_start') }} as is_complete,
        {{ okr_as_of() }} as as_of_at
    from compared
    {%- if is_incremental() %}
    where {{ okr_kpi_rollups_selected('recomputed', 'compared') }}
    {%- endif %}

),

final as (

    select
        {{ okr_contract_columns() }}
    from measured

)

select * from final
