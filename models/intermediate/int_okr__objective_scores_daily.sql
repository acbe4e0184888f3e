{#- The score of each active objective on each day of int_okr__daily_slices
    (okr_objective_scores, run per day). -#}
{{ okr_objective_scores(ref('int_okr__objectives_daily'), ref('int_okr__key_result_scores_daily'), ['date_day']) }}
