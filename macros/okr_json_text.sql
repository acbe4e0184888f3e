{#-
    The text of one top-level key of a JSON payload column; null when absent or JSON null.
    Booleans come back as 'true' / 'false', numbers as their JSON text.
-#}
{% macro okr_json_text(column, key) -%}
    {{ return(adapter.dispatch('okr_json_text', 'okr_plugin')(column, key)) }}
{%- endmacro %}

{#- SQL:2016 JSON_VALUE returns the scalar as text. -#}
{% macro default__okr_json_text(column, key) -%}
    json_value({{ column }}, '$.{{ key }}')
{%- endmacro %}

{#- DuckDB's json_value returns JSON (strings keep their quotes); json_extract_string unquotes. -#}
{% macro duckdb__okr_json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{#- PostgreSQL 15 has no JSON_VALUE (it came in 17); ->> returns the text of a key. -#}
{% macro postgres__okr_json_text(column, key) -%}
    ({{ column }} ->> '{{ key }}')
{%- endmacro %}

{#- Spark has no JSON_VALUE; get_json_object returns a string unquoted, true / false, and a
    number as DuckDB's json_extract_string prints it (1.50 -> 1.5, 1e3 -> 1000.0). -#}
{% macro spark__okr_json_text(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}
