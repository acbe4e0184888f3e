{#- Every KPI event visible at `as_of` replayed into a full version of the KPI definition, with its
    validity window (okr_kpi_versions). -#}
{{ okr_kpi_versions(ref('stg_okr__events')) }}
