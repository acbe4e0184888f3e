{#- Each active objective on each day of int_okr__daily_slices, as known at the end of that
    day (okr_objectives_current over that day's replay). -#}
with objective_versions as (

    {{ okr_objective_versions(ref('int_okr__events_daily'), ['date_day']) }}

),

final as (

    {{ okr_objectives_current('objective_versions', ['date_day']) }}

)

select * from final
