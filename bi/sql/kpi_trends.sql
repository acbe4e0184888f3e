-- KPI trends by week and month per segment ('All segments' is every segment together): the value by
-- the KPI's aggregation rule and its unit, the change on the period before, the target and
-- attainment against it. `period` is the calendar quarter of the week or month, e.g. 2026-Q3.
select
    r.client_id,
    cast(extract(year from r.period_start) as varchar)
    || '-Q' || cast(extract(quarter from r.period_start) as varchar) as period,
    r.kpi_id,
    k.name as kpi,
    k.unit,
    r.grain,
    r.period_start,
    -- the month (2026-07) or the week's first day (2026-07-06), as a chart's axis labels them
    case
        when r.grain = 'month' then substr(cast(r.period_start as varchar), 1, 7)
        else cast(r.period_start as varchar)
    end as period_label,
    case when r.segment = 'all' then 'All segments' else r.segment end as segment,
    r.value,
    r.previous_value,
    r.change_abs,
    r.change_rate,
    r.target_value,
    r.attainment,
    r.is_complete
from okr_kpi_rollups as r
inner join okr_kpis as k
    on r.client_id = k.client_id and r.kpi_id = k.kpi_id
where r.grain in ('week', 'month')
order by r.client_id, r.kpi_id, r.grain, r.segment, r.period_start
