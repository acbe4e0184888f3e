{#- The score of each active objective at `as_of`: the weighted mean of its direct children,
    recursively (okr_objective_scores). -#}
{{ okr_objective_scores(ref('int_okr__objectives_current'), ref('int_okr__key_result_scores')) }}
