{#- Every objective event of each slice replayed into a full version of the objective. -#}
{%- set fields = [
    'title', 'level', 'period', 'period_start', 'period_end', 'owner', 'team', 'parent_objective_id',
    'kind', 'weight', 'description'] %}

with events as (

    select * from {{ ref('int_okr__slice_events') }}
    where entity_type = 'objective'

),

grouped as (

    select *{{ okr_carry_forward_groups(fields) }}
    from events

)

select
    {{ okr_version_columns('objective_id') }},
    {{ okr_carry_forward_values(fields, {'kind': "'aspirational'", 'weight': '1.0'}) }},
    {{ okr_is_ended('objective_archived') }} as is_archived
from grouped
