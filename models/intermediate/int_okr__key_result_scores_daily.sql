{#-
    Each active key result on each day of int_okr__daily_slices, scored as an `as_of` build for
    that day would score it: that day's replay of the definitions, objectives and KPIs, the
    check-ins and grades known by its end, and the KPI's daily aggregates as known then. The
    same macros as the current-state models, run per day.
-#}
with key_result_versions as (

    {{ okr_key_result_versions(ref('int_okr__events_daily'), ['date_day']) }}

),

kpi_versions as (

    {{ okr_kpi_versions(ref('int_okr__events_daily'), ['date_day']) }}

),

kpis_daily as (

    {{ okr_kpis_current('kpi_versions', ['date_day']) }}

),

key_result_windows as (

    {{ okr_key_result_windows('key_result_versions', ref('int_okr__objectives_daily'), 'kpis_daily', ['date_day']) }}

),

key_result_values as (

    {{ okr_key_result_values(
        'key_result_windows', ref('int_okr__events_daily'), ref('int_okr__kpi_daily_segments'), ['date_day']) }}

),

final as (

    {{ okr_key_result_scores('key_result_values', 'date_day', ['date_day']) }}

)

select * from final
