{#- The definition of each KPI in effect at `as_of` (retired ones included, flagged). -#}
{{ okr_kpis_current(ref('int_okr__kpi_versions')) }}
