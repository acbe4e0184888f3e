{#-
    Current state of every active key result at `as_of`: target in effect, current value and
    where it came from (check-in, KPI, start value or final grade), unclamped progress, score,
    grade, expected progress over its window and health (docs/rules.md, Key results). One row
    per key result.
-#}
with scores as (

    select *, {{ okr_as_of() }} as as_of_at
    from {{ ref('int_okr__key_result_forecasts') }}
    where {{ okr_is_current_slice() }}

),

final as (

    select
        {{ okr_contract_columns() }}
    from scores

)

select * from final
