{#-
    Observations with corrections applied: observations with the same client, KPI, observed_at,
    source and segment describe one fact, and the one recorded last (then the higher
    sequence_no) wins. Only what was recorded by `as_of` takes part (staging filters it).
-#}
-- A view: a copy of every observation per build would cost more than it saves.
{{ config(materialized='view') }}

{{ okr_current_observations(ref('stg_okr__observations')) }}
