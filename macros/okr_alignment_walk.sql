{#-
    The alignment walk: the one recursive walk of the objective tree, which the replay models and
    the quality gate share. The gate renders this file with plain Jinja, so nothing here calls
    dbt, and the SQL has no JOIN keyword and no comment (the gate's Great Expectations queries
    take neither).

    Renders one common table expression of a WITH RECURSIVE:
    name (scope..., start_id, reached_id, depth[, share]). From each row of starts
    (scope..., objective_id), reached at depth 0, it steps along every row of edges
    (scope..., from_id, to_id) whose from_id it has reached, at most max_depth steps; the scope
    columns (client_id, a slice's date_day) keep walks apart. Edges from child to parent walk up
    the tree, from parent to child down. With share_type (a SQL type), each row also carries the
    product of weight / total_weight (columns of edges) along its path, 1 at the start.
-#}
{% macro okr_alignment_walk(name, starts, edges, scope, max_depth, share_type=none) -%}
    {{ name }} ({% for column in scope %}{{ column }}, {% endfor %}start_id, reached_id, depth
        {%- if share_type %}, share{% endif %}) as (

        select
            {% for column in scope %}{{ column }}, {% endfor %}objective_id, objective_id, 0
            {%- if share_type %}, cast(1.0 as {{ share_type }}){% endif %}
        from {{ starts }}

        union all

        select
            {% for column in scope %}{{ name }}.{{ column }}, {% endfor -%}
            {{ name }}.start_id, {{ edges }}.to_id, {{ name }}.depth + 1
            {%- if share_type %},
            cast({{ name }}.share * {{ edges }}.weight / {{ edges }}.total_weight as {{ share_type }})
            {%- endif %}
        from {{ name }}, {{ edges }}
        where
            {% for column in scope %}{{ edges }}.{{ column }} = {{ name }}.{{ column }} and {% endfor -%}
            {{ edges }}.from_id = {{ name }}.reached_id
            and {{ name }}.depth < {{ max_depth }}

    )
{%- endmacro %}
