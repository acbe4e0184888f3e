{#- The scoring rules (docs/rules.md) applied to each active key result at `as_of`. -#}
{{ okr_key_result_scores(ref('int_okr__key_results_current'), okr_as_of_date()) }}
