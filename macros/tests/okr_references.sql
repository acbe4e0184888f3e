{#-
    Rows of the model whose (columns) have no match among the (to_columns) of `to`: a
    relationships test over a composite key, since ids are unique within a client.
-#}
{% test okr_references(model, columns, to, to_columns) %}
select child.*
from {{ model }} as child
where
    {% for column in columns %}child.{{ column }} is not null{{ ' and ' if not loop.last }}{% endfor %}
    and not exists (
        select 1
        from {{ to }} as parent
        where
            {% for column in columns %}parent.{{ to_columns[loop.index0] }} = child.{{ column }}{{ ' and ' if not loop.last }}{% endfor %}
    )
{% endtest %}
