{#- Each active key result at `as_of` with its current value (the latest check-in, or its KPI
    feed) and the latest final grade (okr_key_result_values). -#}
{{ okr_key_result_values(
    ref('int_okr__key_result_windows'), ref('stg_okr__events'), ref('int_okr__kpi_daily_segments')) }}
