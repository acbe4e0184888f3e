{#-
    The scoring rules (docs/rules.md) as column expressions, shared by every model that scores a key
    result or an objective (current state now, daily history later).
-#}

{#- Direction in effect: the declared one, else inferred from start and target. -#}
{% macro okr_kr_direction(direction, start_value, target_value) -%}
    coalesce(
        {{ direction }},
        case
            when {{ target_value }} > {{ start_value }} then 'increase'
            when {{ target_value }} < {{ start_value }} then 'decrease'
        end
    )
{%- endmacro %}

{#- Whether the current value meets the target in the key result's direction. -#}
{% macro _okr_kr_target_met(direction, target_value, current_value) -%}
    {{ okr_meets(current_value, target_value, direction ~ " in ('decrease', 'at_most')") }}
{%- endmacro %}

{#-
    Unclamped progress. spectrum: (current - start) / (target - start); at_least: current /
    target; at_most: target / current; binary: 1 when the target is met, else 0.
-#}
{% macro okr_kr_progress(scoring, direction, start_value, target_value, current_value) -%}
    case
        when {{ current_value }} is null then null
        when {{ scoring }} = 'binary' then
            case when {{ _okr_kr_target_met(direction, target_value, current_value) }} then 1.0 else 0.0 end
        when {{ direction }} = 'at_least' then {{ okr_safe_divide(current_value, target_value) }}
        when {{ direction }} = 'at_most' then {{ okr_safe_divide(target_value, current_value) }}
        else {{ okr_safe_divide(current_value ~ ' - ' ~ start_value, target_value ~ ' - ' ~ start_value) }}
    end
{%- endmacro %}

{#- Score in [0, 1] computed from progress; at_least / at_most score 1 while their condition holds. -#}
{% macro okr_kr_computed_score(scoring, direction, target_value, current_value, progress) -%}
    case
        when {{ current_value }} is null then null
        when {{ direction }} in ('at_least', 'at_most')
            and {{ _okr_kr_target_met(direction, target_value, current_value) }} then 1.0
        else {{ okr_clamp(progress, 0, 1) }}
    end
{%- endmacro %}

{#- red below okr_grade_yellow_from, yellow below okr_grade_green_from, green from it. -#}
{% macro okr_grade(score) -%}
    case
        when {{ score }} is null then null
        when {{ okr_reaches(score, var('okr_grade_green_from')) }} then 'green'
        when {{ okr_reaches(score, var('okr_grade_yellow_from')) }} then 'yellow'
        else 'red'
    end
{%- endmacro %}

{#-
    Share of the window's days elapsed by the as-of day (that day counts), in [0, 1].
    2026-Q3 has 92 days; at the end of 15 August 46 have elapsed: 0.5.
-#}
{% macro okr_expected_progress(window_start, window_end, as_of_date) -%}
    {{ okr_clamp(
        okr_safe_divide(
            dbt.datediff(window_start, as_of_date, 'day') ~ ' + 1',
            dbt.datediff(window_start, window_end, 'day') ~ ' + 1'),
        0, 1) }}
{%- endmacro %}

{#-
    Health: closed after the window's end; otherwise completed, on_track, at_risk or off_track
    from the score against expected progress, a low confidence turning on_track into at_risk.
    Binary key results are on_track until done unless their confidence says otherwise.
    Without a score there is no health while the window runs.
-#}
{% macro okr_health(score, expected_progress, window_end, as_of_date, confidence='null', is_binary='false') -%}
    case
        when {{ as_of_date }} > {{ window_end }} then 'closed'
        when {{ score }} is null then null
        when {{ okr_reaches(score, 1) }} then 'completed'
        when ({{ is_binary }}) or {{ okr_reaches(score, expected_progress ~ ' - ' ~ var('okr_health_on_track_margin')) }} then
            case when {{ confidence }} < {{ var('okr_health_low_confidence') }} then 'at_risk' else 'on_track' end
        when {{ okr_reaches(score, expected_progress ~ ' - ' ~ var('okr_health_at_risk_margin')) }} then 'at_risk'
        else 'off_track'
    end
{%- endmacro %}
