{#-
    Each active key result at `as_of`: its latest version (target in effect included), not
    removed, under an active objective (key results of an archived or unknown objective leave
    with it), with its window: the objective's period start to the due date, which defaults to
    the end of the objective's period.
-#}
with versions as (

    {{ okr_latest_versions(ref('int_okr__key_result_versions'), 'key_result_id') }}

),

key_results as (

    select * from versions
    where not is_removed

),

objectives as (

    select client_id, objective_id, period_start, period_end
    from {{ ref('int_okr__objectives_current') }}

),

kpis as (

    select client_id, kpi_id, aggregation
    from {{ ref('int_okr__kpis_current') }}

),

final as (

    select
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
        key_results.kpi_window,
        kpis.aggregation as kpi_aggregation,
        key_results.start_value,
        key_results.start_value_event_id,
        key_results.target_value,
        objectives.period_start as window_start,
        coalesce(key_results.due_date, objectives.period_end) as window_end
    from key_results
    inner join objectives
        on key_results.client_id = objectives.client_id
        and key_results.objective_id = objectives.objective_id
    left join kpis
        on key_results.client_id = kpis.client_id
        and key_results.kpi_id = kpis.kpi_id

)

select * from final
