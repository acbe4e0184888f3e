{#- The latest version of each objective in each slice; archived objectives leave. -#}
with latest_versions as (

    {{ okr_latest_versions(ref('int_okr__objective_versions'), 'date_day, client_id, objective_id') }}

)

select * from latest_versions
where not is_archived
