{#-
    Each active key result of each slice: its latest version (target in effect included), not
    removed, under an active objective (key results of an archived or unknown objective leave
    with it), with its window: the objective's period start to the due date, which defaults to
    the end of the objective's period.
-#}
with latest_versions as (

    {{ okr_latest_versions(ref('int_okr__key_result_versions'), 'date_day, client_id, key_result_id') }}

),

key_results as (

    select * from latest_versions
    where not is_removed

),

final as (

    select
        key_results.date_day,
        key_results.client_id,
        key_results.key_result_id,
        key_results.objective_id,
        key_results.title,
        key_results.owner,
        key_results.scoring,
        key_results.declared_direction,
        key_results.weight,
        key_results.unit,
        key_results.description,
        key_results.kpi_id,
        case when key_results.kpi_id is not null then coalesce(key_results.kpi_window, 'period_to_date') end as kpi_window,
        kpis.aggregation as kpi_aggregation,
        key_results.start_value,
        key_results.start_value_event_id,
        key_results.target_value,
        objectives.period_start as window_start,
        coalesce(key_results.due_date, objectives.period_end) as window_end
    from key_results
    inner join {{ ref('int_okr__objectives') }} as objectives
        on key_results.date_day = objectives.date_day
        and key_results.client_id = objectives.client_id
        and key_results.objective_id = objectives.objective_id
    left join {{ ref('int_okr__kpis') }} as kpis
        on key_results.date_day = kpis.date_day
        and key_results.client_id = kpis.client_id
        and key_results.kpi_id = kpis.kpi_id

)

select * from final
