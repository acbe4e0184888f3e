{#- Every key result definition event visible at `as_of` replayed into a full version, with its
    validity window (okr_key_result_versions). -#}
{{ okr_key_result_versions(ref('stg_okr__events')) }}
