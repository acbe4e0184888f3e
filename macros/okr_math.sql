{#- numerator / denominator as a float; null when the denominator is null or zero. -#}
{% macro okr_safe_divide(numerator, denominator) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast({{ numerator }} as {{ okr_type_double() }}) / ({{ denominator }})
    end
{%- endmacro %}

{#- value limited to [low, high]; null stays null. -#}
{% macro okr_clamp(value, low, high) -%}
    case
        when ({{ value }}) is null then null
        when ({{ value }}) < {{ low }} then {{ low }}
        when ({{ value }}) > {{ high }} then {{ high }}
        else ({{ value }})
    end
{%- endmacro %}

{#-
    Threshold comparisons tolerate float noise: 0.7 - 0.1 is 0.5999999999999999 in binary
    floating point, and a score of exactly 0.6 must count as reaching it.
-#}
{% macro okr_reaches(value, threshold) -%}
    ({{ value }}) >= ({{ threshold }}) - 1e-9
{%- endmacro %}

{#-
    A measured value against a target, in either direction (at_most: value <= target), with
    a tolerance of 1e-12 of the target's size (at least 1e-12): an average of 0.1, 0.2 and 0.3
    is 0.19999999999999998 in floating point, and it meets a target of 0.2. Values are not
    bounded like scores, so the tolerance scales with them (a target of a billion: 0.001).
-#}
{% macro okr_meets(value, target, at_most='false') -%}
    case
        when {{ at_most }} then ({{ value }}) <= ({{ target }}) + 1e-12 * greatest(abs({{ target }}), 1)
        else ({{ value }}) >= ({{ target }}) - 1e-12 * greatest(abs({{ target }}), 1)
    end
{%- endmacro %}

{#-
    An 8-byte float. okr_type_double() gives FLOAT, which is 4 bytes on DuckDB: scores would lose
    precision. DOUBLE PRECISION is the ANSI name and both DuckDB and PostgreSQL take it.
-#}
{% macro okr_type_double() -%}
    {{ return(adapter.dispatch('okr_type_double', 'okr_plugin')()) }}
{%- endmacro %}

{% macro default__okr_type_double() -%}
    double precision
{%- endmacro %}

{#- Spark has no DOUBLE PRECISION; its DOUBLE is 8 bytes. -#}
{% macro spark__okr_type_double() -%}
    double
{%- endmacro %}

{#- A number as a person writes it: thousands separated, no trailing ".0" (1500 -> 1,500). -#}
{% macro okr_number_text(value) -%}
    {{ return(adapter.dispatch('okr_number_text', 'okr_plugin')(value)) }}
{%- endmacro %}

{% macro default__okr_number_text(value) -%}
    cast({{ value }} as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__okr_number_text(value) -%}
    case
        when {{ value }} = round({{ value }}) and abs({{ value }}) < 1e15
            then format('{:,}', cast({{ value }} as bigint))
        else format('{:,}', {{ value }})
    end
{%- endmacro %}

{#- As DuckDB prints it: format_number with a DecimalFormat pattern takes the shortest digits of
    the double (Java's), like DuckDB's format; integers of 1e15 and more keep DuckDB's ".0".
    Numbers DuckDB prints in exponent notation (below 1e-4) come out in positional notation. -#}
{% macro spark__okr_number_text(value) -%}
    case
        when {{ value }} = round({{ value }}) and abs({{ value }}) < 1e15
            then format_number(cast({{ value }} as bigint), 0)
        when {{ value }} = round({{ value }})
            then format_number(cast({{ value }} as double), '#,##0.0')
        else format_number(cast({{ value }} as double), '#,##0.####################')
    end
{%- endmacro %}

{% macro postgres__okr_number_text(value) -%}
    case
        when {{ value }} = round({{ value }}) then to_char({{ value }}, 'FM999,999,999,999,990')
        else rtrim(to_char({{ value }}, 'FM999,999,999,999,990.999999'), '0')
    end
{%- endmacro %}

{#-
    A sum that does not depend on the order of its rows: a sum of floats does (0.1 + 0.2 + 0.3
    is not 0.1 + (0.2 + 0.3)), and engines add rows in whatever order their joins produce, so
    a rebuild could differ in the last digit. Each term is rounded once to `scale` decimals
    (18: for bounded values, scores, shares, weights, whose sums stay below 1e20; 9 for
    unbounded ones, up to 1e29), summed exactly, and read back as a float.
-#}
{% macro okr_exact_sum(expression, scale=18) -%}
    cast(sum(cast({{ expression }} as decimal(38, {{ scale }}))) as {{ okr_type_double() }})
{%- endmacro %}
