{#- The latest version of each objective at `as_of`; archived objectives leave. -#}
{{ okr_objectives_current(ref('int_okr__objective_versions')) }}
