{#- Every objective event visible at `as_of` replayed into a full version of the objective, with
    its validity window (okr_objective_versions). -#}
{{ okr_objective_versions(ref('stg_okr__events')) }}
