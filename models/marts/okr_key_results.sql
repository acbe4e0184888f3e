{#-
    Current state of every active key result at `as_of`: target in effect, current value and
    where it came from (check-in, KPI, start value or final grade), unclamped progress, score,
    grade, expected progress over its window and health (docs/rules.md, Key results). One row
    per key result.
-#}
with scores as (

    select * from {{ ref('int_okr__key_result_scores') }}
    where {{ okr_is_current_slice() }}

),

final as (

    select
        cast(key_result_id as {{ dbt.type_string() }}) as key_result_id,
        cast(objective_id as {{ dbt.type_string() }}) as objective_id,
        cast(client_id as {{ dbt.type_string() }}) as client_id,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(owner as {{ dbt.type_string() }}) as owner,
        cast(scoring as {{ dbt.type_string() }}) as scoring,
        cast(direction as {{ dbt.type_string() }}) as direction,
        cast(weight as {{ okr_type_double() }}) as weight,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(window_start as date) as window_start,
        cast(due_date as date) as due_date,
        cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
        cast(kpi_window as {{ dbt.type_string() }}) as kpi_window,
        cast(start_value as {{ okr_type_double() }}) as start_value,
        cast(target_value as {{ okr_type_double() }}) as target_value,
        cast(current_value as {{ okr_type_double() }}) as current_value,
        cast(progress as {{ okr_type_double() }}) as progress,
        cast(score as {{ okr_type_double() }}) as score,
        cast(computed_score as {{ okr_type_double() }}) as computed_score,
        cast(grade as {{ dbt.type_string() }}) as grade,
        cast(expected_progress as {{ okr_type_double() }}) as expected_progress,
        cast(health as {{ dbt.type_string() }}) as health,
        cast(confidence as {{ okr_type_double() }}) as confidence,
        cast(last_check_in_at as {{ dbt.type_timestamp() }}) as last_check_in_at,
        cast(last_check_in_note as {{ dbt.type_string() }}) as last_check_in_note,
        cast(last_activity_at as {{ dbt.type_timestamp() }}) as last_activity_at,
        cast(value_source as {{ dbt.type_string() }}) as value_source,
        cast(value_event_id as {{ dbt.type_string() }}) as value_event_id,
        cast(description as {{ dbt.type_string() }}) as description,
        {{ okr_as_of() }} as as_of_at
    from scores

)

select * from final
