-- The headline figures of a client's period, day by day as known on each day (from the daily
-- marts), one row per figure and day: the average objective score (the sum of the objectives'
-- scores over the objectives with a score), the share of key results on track (on track or
-- completed, over those still running: with a health other than closed) and the key results
-- at risk or off track (a count: no denominator). `days_back` counts the days before the
-- period's last day in the daily marts (0: the as-of day, or the period's last day once it has
-- ended); `now`, `week_before` and `change` say the
-- figure, the same a week (7 days) before and the difference, in words, as of each day
-- (`change` null where the daily marts have no day a week before).
with objective_days as (
    select
        client_id,
        period,
        date_day,
        cast(sum(score) as double precision) as score_sum,
        cast(count(score) as double precision) as scored
    from okr_objective_daily
    group by client_id, period, date_day
),

key_result_days as (
    select
        k.client_id,
        o.period,
        k.date_day,
        sum(case when k.health in ('on_track', 'completed') then 1 else 0 end) as on_track,
        sum(case when k.health in ('at_risk', 'off_track') then 1 else 0 end) as at_risk,
        sum(case when k.health <> 'closed' then 1 else 0 end) as running
    from okr_key_result_daily as k
    inner join okr_objective_daily as o
        on k.client_id = o.client_id and k.objective_id = o.objective_id and k.date_day = o.date_day
    group by k.client_id, o.period, k.date_day
),

figures as (
    select client_id, period, date_day, 1 as figure_order, 'Average objective score' as figure,
        score_sum as numerator, scored as denominator
    from objective_days
    union all
    select client_id, period, date_day, 2, 'Key results on track',
        cast(on_track as double precision), cast(running as double precision)
    from key_result_days
    union all
    select client_id, period, date_day, 3, 'Key results at risk or off track',
        cast(at_risk as double precision), cast(null as double precision)
    from key_result_days
),

values_then as (
    select
        f.*,
        case
            when f.denominator is null then f.numerator
            when f.denominator > 0 then f.numerator / f.denominator
        end as figure_value
    from figures as f
),

compared as (
    select
        v.client_id,
        v.period,
        v.date_day,
        max(v.date_day) over (partition by v.client_id, v.period) - v.date_day as days_back,
        v.figure_order,
        v.figure,
        v.numerator,
        v.denominator,
        -- a share in whole per cent, a count as it is
        case when v.denominator is null then '' else '%' end as sign,
        -- halves up (floor of x + 0.5): round() takes halves to the even number on PostgreSQL
        cast(floor(case when v.denominator is null then 1 else 100 end * v.figure_value + 0.5)
            as integer) as now_whole,
        cast(floor(case when v.denominator is null then 1 else 100 end * w.figure_value + 0.5)
            as integer) as week_before_whole
    from values_then as v
    left join values_then as w
        on v.client_id = w.client_id and v.period = w.period and v.figure_order = w.figure_order
        and w.date_day = v.date_day - 7
)

select
    client_id,
    period,
    date_day,
    days_back,
    figure_order,
    figure,
    numerator,
    denominator,
    now_whole,
    week_before_whole,
    cast(now_whole as varchar) || sign as now,
    cast(week_before_whole as varchar) || sign as week_before,
    -- in points for a share (+3 pts from 41%), as a count for a count (+1 from 2)
    case
        when now_whole = week_before_whole then 'no change'
        else
            case when now_whole > week_before_whole then '+' else '−' end
            || cast(abs(now_whole - week_before_whole) as varchar)
            || case when sign = '' then '' when abs(now_whole - week_before_whole) = 1 then ' pt' else ' pts' end
    end || ' from ' || cast(week_before_whole as varchar) || sign as change
from compared
order by client_id, period, figure_order, date_day
