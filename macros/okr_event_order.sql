{#-
    The order in which events replay, and "latest" (docs/rules.md, Time and order): the greatest
    occurred_at, ties broken by the later recorded_at, then the higher sequence_no.
-#}
{% macro okr_replay_order(prefix='') -%}
    {{ prefix }}occurred_at, {{ prefix }}recorded_at, {{ prefix }}sequence_no
{%- endmacro %}

{% macro okr_latest_first(prefix='') -%}
    {{ prefix }}occurred_at desc, {{ prefix }}recorded_at desc, {{ prefix }}sequence_no desc
{%- endmacro %}

{#- The latest observation: greatest observed_at, then the later recorded_at, then sequence_no. -#}
{% macro okr_latest_observation_first(prefix='') -%}
    {{ prefix }}observed_at desc, {{ prefix }}recorded_at desc, {{ prefix }}sequence_no desc, {{ prefix }}event_id desc
{%- endmacro %}

{#-
    The latest version of each entity (partition_by: the columns that name one, such as
    'date_day, client_id, objective_id') of a versions relation, by okr_latest_first: current
    state in event sourcing.
-#}
{% macro okr_latest_versions(relation, partition_by) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ partition_by }} order by {{ okr_latest_first() }}) as recency
        from {{ relation }}
    ) as ranked
    where recency = 1
{%- endmacro %}

{#- The same order over daily partial aggregates (int_okr__kpi_daily_segments), by each day's
    latest observation. -#}
{% macro okr_latest_day_first(prefix='') -%}
    {{ prefix }}last_observed_at desc, {{ prefix }}last_recorded_at desc, {{ prefix }}last_sequence_no desc, {{ prefix }}last_event_id desc
{%- endmacro %}
