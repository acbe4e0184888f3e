{#-
    The forecast's arithmetic (docs/rules.md, Forecast) as column expressions, used by
    int_okr__key_result_forecasts.
-#}

{#-
    The standard normal distribution function Phi(z), by the polynomial of Zelen and Severo
    (Abramowitz and Stegun 26.2.17, error below 7.5e-8), the same SQL on every engine: none of
    DuckDB, PostgreSQL and Spark has erf. Beyond 8 standard deviations it is 0 or 1 (its tail is
    below 1e-15 there, and PostgreSQL's exp() fails on an underflow). Kept in [0, 1]; null
    stays null.
-#}
{% macro okr_normal_cdf(z) -%}
    {%- set t = '(1.0 / (1.0 + 0.2316419 * abs(' ~ z ~ ')))' -%}
    {%- set tail -%}
        0.3989422804014327 * exp(-0.5 * ({{ z }}) * ({{ z }}))
        * {{ t }} * (0.319381530 + {{ t }} * (-0.356563782 + {{ t }} * (1.781477937
            + {{ t }} * (-1.821255978 + {{ t }} * 1.330274429))))
    {%- endset -%}
    case
        when ({{ z }}) is null then null
        when ({{ z }}) > 8 then 1.0
        when ({{ z }}) < -8 then 0.0
        when ({{ z }}) >= 0 then {{ okr_clamp('1.0 - ' ~ tail, 0, 1) }}
        else {{ okr_clamp(tail, 0, 1) }}
    end
{%- endmacro %}

{#-
    The probability that a value at the due date, normal with mean `projected` and standard
    deviation `spread`, reaches `threshold` in the key result's direction (at or above it for
    increase and at_least, at or below for decrease and at_most). A spread of 0: 1 or 0 by the
    projected value (with okr_meets' tolerance). Null without a threshold or a direction.
-#}
{% macro okr_probability_to_reach(projected, spread, threshold, direction) -%}
    {%- set at_most = direction ~ " in ('decrease', 'at_most')" -%}
    case
        when ({{ projected }}) is null or ({{ spread }}) is null or ({{ threshold }}) is null
            or {{ direction }} is null then null
        when ({{ spread }}) = 0 then
            case when {{ okr_meets(projected, threshold, at_most) }} then 1.0 else 0.0 end
        when {{ at_most }} then {{ okr_normal_cdf('((' ~ threshold ~ ') - (' ~ projected ~ ')) / (' ~ spread ~ ')') }}
        else {{ okr_normal_cdf('((' ~ projected ~ ') - (' ~ threshold ~ ')) / (' ~ spread ~ ')') }}
    end
{%- endmacro %}

{#-
    The value at which a spectrum key result's score reaches the green threshold
    (okr_grade_green_from, g): start + g x (target - start) on increase and decrease; g x target
    on at_least (its score is current / target); target / g on at_most (target / current).
-#}
{% macro okr_green_value(direction, start_value, target_value) -%}
    {%- set green = var('okr_grade_green_from') -%}
    case {{ direction }}
        when 'at_least' then {{ green }} * ({{ target_value }})
        when 'at_most' then {{ okr_safe_divide(target_value, green) }}
        else ({{ start_value }}) + {{ green }} * (({{ target_value }}) - ({{ start_value }}))
    end
{%- endmacro %}
