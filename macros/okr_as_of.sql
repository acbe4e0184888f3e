{#-
    The moment the current-state models describe, as a timestamp literal (UTC).

    `as_of` may be a date (the end of that day), or an ISO 8601 timestamp in UTC (a trailing Z is
    allowed). Unset, it is the time the run started, so every model of one run sees one moment.
    A moment after the run's start is the run's start: nothing later is known yet (so
    `as_of: <today>` describes now, and the incremental models, whose watermarks follow the
    moments they describe, never hold a moment later than the next run's).
-#}
{% macro okr_as_of() -%}
    {%- set raw = var('as_of', none) -%}
    {%- set started = run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') -%}
    {%- if raw is none or raw | string | trim == '' -%}
        {%- set moment = started -%}
    {%- else -%}
        {%- set raw = raw | string | trim -%}
        {%- if modules.re.match('^\d{4}-\d{2}-\d{2}$', raw) -%}
            {%- set moment = raw ~ ' 23:59:59.999999' -%}
        {%- elif modules.re.match('^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?Z?$', raw) -%}
            {%- set moment = raw | replace('T', ' ') | replace('Z', '') -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "as_of must be a date like 2026-08-15 or a UTC timestamp like 2026-08-15T12:00:00Z, got '" ~ raw ~ "'") }}
        {%- endif -%}
        {#- both texts read year, month, day, hour, minute first: they sort as the moments do -#}
        {%- if moment > started -%}
            {%- set moment = started -%}
        {%- endif -%}
    {%- endif -%}
    cast('{{ moment }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- The UTC date of `okr_as_of()`: the day whose end (or moment) the models describe. -#}
{% macro okr_as_of_date() -%}
    cast({{ okr_as_of() }} as date)
{%- endmacro %}

{#- Whether a slice (int_okr__slices) is the current one, the `as_of` day's: the slice the
    current-state marts select. -#}
{% macro okr_is_current_slice(date_day='date_day') -%}
    {{ date_day }} = {{ okr_as_of_date() }}
{%- endmacro %}
