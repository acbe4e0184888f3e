{#-
    The select list of a mart's last step: every column of its contract (the `columns:` of
    _okr__marts.yml, in their order) cast to its data_type. The yml is the one place a mart's
    columns and types are written; the SQL computes each column under its name in the step
    before (columns the contract does not name are left out). The text type is the yml's
    (varchar; string on Spark), so an incremental run's rows have the stored table's types.
-#}
{% macro okr_contract_columns() -%}
    {%- if execute and not model.columns -%}
        {{ exceptions.raise_compiler_error(model.name ~ ': okr_contract_columns() needs the columns of its contract in the yml') }}
    {%- endif -%}
    {%- for column in model.columns.values() -%}
        {{- ',\n        ' if not loop.first -}}
        cast({{ column.name }} as {{ column.data_type }}) as {{ column.name }}
    {%- endfor -%}
{%- endmacro %}
