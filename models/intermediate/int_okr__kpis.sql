{#- The definition of each KPI in effect in each slice: its latest version (retired ones
    included, flagged). -#}
{{ okr_latest_versions(ref('int_okr__kpi_versions'), 'date_day, client_id, kpi_id') }}
