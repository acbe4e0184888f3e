{#-
    Observations with corrections applied: observations with the same client, KPI, observed_at,
    source and segment describe one fact, and the one recorded last (then the higher
    sequence_no) wins. Only what was recorded by `as_of` takes part (staging filters it).
-#}
with observations as (

    select
        *,
        row_number() over (
            partition by client_id, kpi_id, observed_at, source, segment
            order by recorded_at desc, sequence_no desc, event_id desc
        ) as recency
    from {{ ref('stg_okr__observations') }}

),

final as (

    select
        event_id,
        client_id,
        kpi_id,
        observed_at,
        observed_date,
        value,
        source,
        segment,
        recorded_at,
        sequence_no,
        origin
    from observations
    where recency = 1

)

select * from final
