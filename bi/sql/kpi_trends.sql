-- KPI trends by week and month per segment ('all' is every segment together): the value by
-- the KPI's aggregation rule, the change on the period before and attainment against the
-- target. `period` is the calendar quarter of the week or month, e.g. 2026-Q3.
select
    r.client_id,
    cast(extract(year from r.period_start) as varchar)
    || '-Q' || cast(extract(quarter from r.period_start) as varchar) as period,
    r.kpi_id,
    k.name as kpi,
    r.grain,
    r.period_start,
    r.segment,
    r.value,
    r.previous_value,
    r.change_abs,
    r.change_rate,
    r.attainment,
    r.is_complete
from okr_kpi_rollups as r
inner join okr_kpis as k
    on r.client_id = k.client_id and r.kpi_id = k.kpi_id
where r.grain in ('week', 'month')
order by r.client_id, r.kpi_id, r.grain, r.segment, r.period_start
