{#-
    Metric observations visible at `as_of` (observed and recorded by then): the okr_observations
    table written by `okr ingest`, and every relation listed in the variable
    okr_observation_relations (a model name, or schema.table) with the observation columns.
    One row per stored observation; corrections are applied downstream.
-#}
{%- set relations = var('okr_observation_relations') or [] %}

with okr_observations as (

    select
        event_id,
        client_id,
        kpi_id,
        -- deliberately: zone-less timestamps of a table written outside okr are UTC (Spark
        -- reads Parquet written elsewhere as TIMESTAMP_NTZ)
        cast(observed_at as {{ dbt.type_timestamp() }}) as observed_at,
        value,
        source,
        segment,
        cast(recorded_at as {{ dbt.type_timestamp() }}) as recorded_at,
        sequence_no,
        'okr_observations' as origin
    from {{ source('okr', 'okr_observations') }}

),

{% for relation in relations %}
extra_{{ loop.index }} as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(client_id as {{ dbt.type_string() }}) as client_id,
        cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
        cast(observed_at as {{ dbt.type_timestamp() }}) as observed_at,
        cast(value as {{ okr_type_double() }}) as value,
        cast(source as {{ dbt.type_string() }}) as source,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(recorded_at as {{ dbt.type_timestamp() }}) as recorded_at,
        cast(0 as {{ dbt.type_bigint() }}) as sequence_no,
        '{{ relation }}' as origin
    from {{ ref(relation) if '.' not in relation else relation }}

),
{% endfor %}

unioned as (

    select * from okr_observations
    {%- for relation in relations %}
    union all
    select * from extra_{{ loop.index }}
    {%- endfor %}

),

final as (

    select
        event_id,
        client_id,
        kpi_id,
        observed_at,
        cast(observed_at as date) as observed_date,
        value,
        source,
        segment,
        recorded_at,
        sequence_no,
        origin
    from unioned
    where
        observed_at <= {{ okr_as_of() }}
        and recorded_at <= {{ okr_as_of() }}

)

select * from final
