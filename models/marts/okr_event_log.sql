{#-
    Every goal event visible at `as_of`, flattened: what it is about, both clocks, the actor, and
    a one-line summary a person can read ("target of 'New trials' changed from 1,500 to 1,200:
    trade show took priority"). An entity is named by a key result's title in effect after the
    event, else the title or name the event itself carries, else the entity's latest; "from"
    values come from the version before. Numbered per client (sequence_no), so a client's rows
    say nothing of other clients' activity.
-#}
with events as (

    select * from {{ ref('stg_okr__events') }}

),

-- the versions of the current slice: every version visible at `as_of`
objective_versions as (

    select * from {{ ref('int_okr__objective_versions') }}
    where {{ okr_is_current_slice() }}

),

key_result_versions as (

    select
        *,
        lag(target_value) over (
            partition by client_id, key_result_id order by {{ okr_replay_order() }}
        ) as previous_target_value
    from {{ ref('int_okr__key_result_versions') }}
    where {{ okr_is_current_slice() }}

),

kpi_versions as (

    select * from {{ ref('int_okr__kpi_versions') }}
    where {{ okr_is_current_slice() }}

),

names as (

    -- the latest name of every entity, for events that do not version it
    select client_id, 'objective' as entity_type, objective_id as entity_id, title as name
    from ({{ okr_latest_versions('objective_versions', 'client_id, objective_id') }}) as objectives
    union all
    select client_id, 'key_result', key_result_id, title
    from ({{ okr_latest_versions('key_result_versions', 'client_id, key_result_id') }}) as key_results
    union all
    select client_id, 'kpi', kpi_id, name
    from ({{ okr_latest_versions('kpi_versions', 'client_id, kpi_id') }}) as kpis

),

joined as (

    select
        events.*,
        coalesce(key_result_versions.title, events.title, events.name, names.name, events.entity_id) as entity_name,
        key_result_versions.previous_target_value
    from events
    left join key_result_versions
        on events.event_id = key_result_versions.event_id
    left join names
        on events.client_id = names.client_id
        and events.entity_type = names.entity_type
        and events.entity_id = names.entity_id

),

summarised as (

    select
        *,
        case event_type
            when 'objective_created' then
                'objective ''' || entity_name || ''' created for ' || coalesce(period, 'no period')
                || coalesce(' (owner ' || owner || ')', '')
            when 'objective_updated' then
                'objective ''' || entity_name || ''' updated:'
                || coalesce(' title ''' || title || '''', '')
                || coalesce(' owner ' || owner, '')
                || coalesce(' team ' || team, '')
                || coalesce(' parent ' || parent_objective_id, '')
                || coalesce(' kind ' || kind, '')
                || coalesce(' weight ' || {{ okr_number_text('weight') }}, '')
                || coalesce(' period ' || period, '')
                || case when description is not null then ' description changed' else '' end
            when 'objective_archived' then 'objective ''' || entity_name || ''' archived'
            when 'key_result_created' then
                'key result ''' || entity_name || ''' created with target ' || {{ okr_number_text('target_value') }}
                || coalesce(' ' || unit, '') || coalesce(' (owner ' || owner || ')', '')
            when 'key_result_updated' then
                'key result ''' || entity_name || ''' updated:'
                || coalesce(' title ''' || title || '''', '')
                || coalesce(' owner ' || owner, '')
                || coalesce(' weight ' || {{ okr_number_text('weight') }}, '')
                || coalesce(' due ' || cast(due_date as {{ dbt.type_string() }}), '')
                || coalesce(' unit ' || unit, '')
                || coalesce(' fed by KPI ' || kpi_id, '')
                || coalesce(' window ' || kpi_window, '')
                || case when description is not null then ' description changed' else '' end
            when 'key_result_target_changed' then
                'target of ''' || entity_name || ''' changed'
                || coalesce(' from ' || {{ okr_number_text('previous_target_value') }}, '')
                || ' to ' || {{ okr_number_text('target_value') }}
                || coalesce(': ' || reason, '')
            when 'key_result_checked_in' then
                '''' || entity_name || ''' checked in at '
                || {{ okr_number_text('check_in_value') }}
                || coalesce(' (confidence ' || {{ okr_number_text('confidence') }} || ')', '')
                || coalesce(': ' || note, '')
            when 'key_result_graded' then
                '''' || entity_name || ''' graded ' || {{ okr_number_text('graded_score') }}
                || coalesce(': ' || note, '')
            when 'key_result_removed' then 'key result ''' || entity_name || ''' removed'
            when 'kpi_defined' then
                'KPI ''' || entity_name || ''' defined (' || coalesce(aggregation, '?')
                || coalesce(', target ' || {{ okr_number_text('target_value') }} || ' a ' || target_grain, '') || ')'
            when 'kpi_updated' then 'KPI ''' || entity_name || ''' updated'
            when 'kpi_retired' then 'KPI ''' || entity_name || ''' retired'
            when 'annotation_added' then
                'annotation' || coalesce(' (' || category || ')', '') || ': ' || annotation_text
            when 'annotation_removed' then 'annotation ' || entity_id || ' removed'
        end as summary
    from joined

),

numbered as (

    select
        event_id,
        client_id,
        event_type,
        entity_type,
        entity_id,
        entity_name,
        occurred_at,
        recorded_at,
        -- the client's own count: the store's numbers count every client's events
        row_number() over (partition by client_id order by sequence_no) as sequence_no,
        actor,
        summary,
        {{ okr_as_of() }} as as_of_at
    from summarised

),

final as (

    select
        {{ okr_contract_columns() }}
    from numbered

)

select * from final
