{#-
    The forecast of each active key result of each slice (docs/rules.md, Forecast): every
    column of int_okr__key_result_scores, and where the drift of its daily values since the
    window's start (or the last okr_forecast_lookback_days days) takes it by the due date, with
    an 80% band, the odds of reaching the target and green, and the pace.

    The series of a key result is its daily history, the values okr_key_result_daily shows:
    this build's slices in their windows, and before the first of them the rows the daily mart
    already holds (read before it replaces its rows from that day on; nothing to read when every
    day is sliced). A day without a row carries the value of the row before it; a day before the
    first row of the window takes the start value.

    The sum of squared day-to-day steps over the series is a difference of running sums. Where
    the series starts (day 0) differs from row to row, so a probe row at each forecast's day 0,
    sorted among the series' rows, finds the last row up to day 0 and the first row after it.
-#}
{%- set stored = none -%}
{%- if execute and var('okr_daily_history') and var('as_of') is none and not flags.FULL_REFRESH -%}
    {%- set daily = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('package_name', 'equalto', model.package_name)
        | selectattr('name', 'equalto', 'okr_key_result_daily') | list -%}
    {%- if daily -%}
        {%- set stored = adapter.get_relation(database=daily[0].database, schema=daily[0].schema, identifier=daily[0].alias) -%}
    {%- endif -%}
{%- endif -%}
{%- set lookback = var('okr_forecast_lookback_days') -%}
{%- set double = okr_type_double() -%}

-- depends_on: {{ ref('int_okr__slices') }}
with scores as (

    select * from {{ ref('int_okr__key_result_scores') }}

),

-- the daily history: each key result's value on each day of its window
series as (

    {%- if stored is not none %}

    -- of the key results with a series to read in this build, from their earliest window start
    select stored.client_id, stored.key_result_id, stored.date_day, stored.current_value
    from {{ stored }} as stored
    inner join (
        select client_id, key_result_id, min(window_start) as first_day
        from scores
        where date_day >= window_start {%- if lookback is none %} and date_day < due_date{% endif %}
        group by client_id, key_result_id
    ) as reading
        on stored.client_id = reading.client_id
        and stored.key_result_id = reading.key_result_id
        and stored.date_day >= reading.first_day
    where stored.date_day < (select min(date_day) from {{ ref('int_okr__slices') }})

    union all
    {%- endif %}

    select client_id, key_result_id, date_day, current_value
    from scores
    where date_day between window_start and due_date

),

steps as (

    select
        *,
        coalesce(
            power(current_value - lag(current_value) over (
                partition by client_id, key_result_id order by date_day), 2),
            0) as squared_step
    from series

),

running as (

    select
        client_id,
        key_result_id,
        date_day,
        current_value,
        squared_step,
        sum(squared_step) over (
            partition by client_id, key_result_id order by date_day
            rows between unbounded preceding and current row) as squared_steps_to_date
    from steps

),

-- day n (the slice's day, or the due date once passed) and day 0 (the day before the window
-- starts, or n - lookback days if that is later) of each slice's forecast
days as (

    select
        *,
        cast(case when date_day < due_date then date_day else due_date end as date) as last_day,
        {%- if lookback is none %}
        cast({{ okr_dateadd('day', -1, 'window_start') }} as date) as day_zero
        {%- else %}
        cast(case
            when {{ okr_dateadd('day', -lookback, 'least(date_day, due_date)') }} > {{ okr_dateadd('day', -1, 'window_start') }}
                then {{ okr_dateadd('day', -lookback, 'least(date_day, due_date)') }}
            else {{ okr_dateadd('day', -1, 'window_start') }}
        end as date) as day_zero
        {%- endif %}
    from scores

),

spans as (

    select
        *,
        -- 0 before the window starts
        case when last_day > day_zero then {{ dbt.datediff('day_zero', 'last_day', 'day') }} else 0 end as forecast_days,
        case when date_day < due_date then {{ dbt.datediff('date_day', 'due_date', 'day') }} else 0 end as horizon_days
    from days

),

-- the series' rows and a probe at each forecast's day 0, a series row before a probe on the same day
probed as (

    select client_id, key_result_id, date_day, 0 as is_probe, cast(null as date) as forecast_day
    from running

    union all

    select client_id, key_result_id, day_zero, 1, date_day
    from spans
    where scoring <> 'binary' and forecast_days >= 1

),

located as (

    select
        client_id,
        key_result_id,
        forecast_day,
        max(case when is_probe = 0 then date_day end) over (
            partition by client_id, key_result_id order by date_day, is_probe
            rows between unbounded preceding and current row) as row_at_zero_day,
        -- read backwards, so that every frame grows from the partition's start: a frame that
        -- ends at the partition's end is computed again for each row on Spark and PostgreSQL
        min(case when is_probe = 0 then date_day end) over (
            partition by client_id, key_result_id order by date_day desc, is_probe desc
            rows between unbounded preceding and current row) as row_after_zero_day
    from probed

),

-- v_0 and the sum of squared steps from day 0 to day n: from the row at day 0 (the value it
-- carries) when it is in the window, else from the start value to the first row after day 0
anchored as (

    select
        spans.*,
        case
            when at_zero.date_day >= spans.window_start then at_zero.current_value
            else spans.start_value
        end as value_zero,
        case
            when at_zero.date_day >= spans.window_start
                then at_n.squared_steps_to_date - at_zero.squared_steps_to_date
            else power(after_zero.current_value - spans.start_value, 2)
                + at_n.squared_steps_to_date - after_zero.squared_steps_to_date
        end as squared_steps
    from spans
    left join located
        on spans.client_id = located.client_id
        and spans.key_result_id = located.key_result_id
        and spans.date_day = located.forecast_day
    left join running as at_zero
        on located.client_id = at_zero.client_id
        and located.key_result_id = at_zero.key_result_id
        and located.row_at_zero_day = at_zero.date_day
    left join running as after_zero
        on located.client_id = after_zero.client_id
        and located.key_result_id = after_zero.key_result_id
        and located.row_after_zero_day = after_zero.date_day
    left join running as at_n
        on spans.client_id = at_n.client_id
        and spans.key_result_id = at_n.key_result_id
        and spans.date_day = at_n.date_day

),

methods as (

    select
        *,
        case
            when scoring = 'binary' then 'binary'
            when date_day >= due_date then 'closed'
            when forecast_days < 2 then 'too_few_days'
            {%- if not var('okr_daily_history') %}
            else 'no_daily_history'
            {%- else %}
            else 'drift'
            {%- endif %}
        end as forecast_method,
        case
            when scoring <> 'binary' and forecast_days >= 1
                then (current_value - value_zero) / cast(forecast_days as {{ double }})
        end as drift
    from anchored

),

-- s^2 = (sum of squared steps - n d^2) / (n - 1); a difference of running sums can leave a hair
-- below 0, or above it where every step is the same: 0 when below 1e-9 of the sum
noise as (

    select
        *,
        case
            when forecast_method = 'drift' then
                case
                    when squared_steps - forecast_days * drift * drift <= 1e-9 * squared_steps then 0.0
                    else (squared_steps - forecast_days * drift * drift) / (forecast_days - 1)
                end
        end as noise_variance
    from methods

),

projected as (

    select
        *,
        case
            when forecast_method = 'closed' then current_value
            when forecast_method <> 'binary' then current_value + horizon_days * drift
        end as projected_value,
        case
            when forecast_method = 'closed' then 0.0
            when forecast_method = 'drift'
                then sqrt(noise_variance * horizon_days * (1 + horizon_days / cast(forecast_days as {{ double }})))
        end as spread
    from noise

),

odds as (

    select
        *,
        projected_value - 1.2815515655 * spread as projected_value_low,
        projected_value + 1.2815515655 * spread as projected_value_high,
        {{ okr_probability_to_reach('projected_value', 'spread', 'target_value', 'direction') }} as probability_of_target,
        {{ okr_probability_to_reach(
            'projected_value', 'spread', okr_green_value('direction', 'start_value', 'target_value'), 'direction') }} as probability_of_green,
        {{ okr_kr_progress('scoring', 'direction', 'start_value', 'target_value', 'projected_value') }} as projected_progress,
        {{ okr_kr_progress('scoring', 'direction', 'start_value', 'target_value', 'projected_value - 1.2815515655 * spread') }} as progress_at_low_value,
        {{ okr_kr_progress('scoring', 'direction', 'start_value', 'target_value', 'projected_value + 1.2815515655 * spread') }} as progress_at_high_value
    from projected

),

scored as (

    select
        *,
        -- a final grade stands
        case
            when forecast_method = 'binary' then null
            when value_source = 'graded' then score
            else {{ okr_kr_computed_score('scoring', 'direction', 'target_value', 'projected_value', 'projected_progress') }}
        end as projected_score,
        drift as current_pace,
        case
            when forecast_method <> 'binary' and horizon_days > 0
                then (target_value - current_value) / cast(horizon_days as {{ double }})
        end as required_pace
    from odds

),

final as (

    select
        *,
        {{ okr_grade('projected_score') }} as projected_grade,
        -- the band as progress, its ends in order (a decrease's lower value is more progress)
        least(progress_at_low_value, progress_at_high_value) as projected_progress_low,
        greatest(progress_at_low_value, progress_at_high_value) as projected_progress_high
    from scored

)

select * from final
