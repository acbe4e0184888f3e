{#- Each active key result at `as_of` with its window (okr_key_result_windows). -#}
{{ okr_key_result_windows(
    ref('int_okr__key_result_versions'), ref('int_okr__objectives_current'), ref('int_okr__kpis_current')) }}
