{#-
    The rules a model's rows keep, in one query (one scan, and one test node instead of one per
    column: dbt spends about as long on a node as on its query, Spark about a second on each):
      key:             columns (or expressions) whose values are unique together;
      not_null:        columns without nulls;
      accepted_values: {column: [values]}, each non-null value one of them (compared as text);
      accepted_range:  {column: [min, max]}, each non-null value within them (a bound may be null).
    A result per row that breaks a rule, naming in `problem` the first rule it breaks, and one
    per repeated key. Values and labels are the engine's string literals, apostrophes escaped
    (O'Brien). Plain SQL on every engine: no text casts of a key's parts, which engines name
    differently (Spark refuses a VARCHAR without a length).
-#}
{% test okr_valid_rows(model, key=none, not_null=[], accepted_values={}, accepted_range={}) %}
{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- do rules.append((column ~ ' is null', column ~ ' is null')) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set listed = [] -%}
    {%- for value in values %}{% do listed.append(dbt.string_literal(dbt.escape_single_quotes(value | string))) %}{% endfor -%}
    {%- do rules.append((column ~ ' not in (' ~ listed | join(', ') ~ ')', column ~ ' is not one of ' ~ values | join(', '))) -%}
{%- endfor -%}
{%- for column, bounds in accepted_range.items() -%}
    {%- set outside = [] -%}
    {%- if bounds[0] is not none %}{% do outside.append(column ~ ' < ' ~ bounds[0]) %}{% endif -%}
    {%- if bounds[1] is not none %}{% do outside.append(column ~ ' > ' ~ bounds[1]) %}{% endif -%}
    {%- do rules.append((outside | join(' or '), column ~ ' is outside [' ~ bounds | join(', ') ~ ']')) -%}
{%- endfor -%}
{%- if rules %}
select problem
from (
    select
        case
            {%- for condition, problem in rules %}
            when {{ condition }} then {{ dbt.string_literal(dbt.escape_single_quotes(problem)) }}
            {%- endfor %}
        end as problem
    from {{ model }}
) as checked
where problem is not null
{%- endif %}
{%- if rules and key %}
union all
{%- endif %}
{%- if key %}
select {{ dbt.string_literal(dbt.escape_single_quotes('key repeated: ' ~ key | join(', '))) }} as problem
from {{ model }}
group by {{ key | join(', ') }}
having count(*) > 1
{%- endif %}
{% endtest %}
