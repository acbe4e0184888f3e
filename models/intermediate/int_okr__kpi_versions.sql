{#- Every KPI event of each slice replayed into a full version of the KPI definition. -#}
{%- set fields = ['name', 'aggregation', 'unit', 'direction', 'target_value', 'target_grain', 'owner', 'description'] %}

with events as (

    select * from {{ ref('int_okr__slice_events') }}
    where entity_type = 'kpi'

),

grouped as (

    select *{{ okr_carry_forward_groups(fields) }}
    from events

)

select
    {{ okr_version_columns('kpi_id') }},
    {{ okr_carry_forward_values(fields, {'direction': "'higher_is_better'"}) }},
    {{ okr_is_ended('kpi_retired') }} as is_retired
from grouped
