{#-
    Rows of the model whose key (columns: column names or expressions) is not unique: one row
    per repeated key, with how often it occurs. Plain SQL on every engine: no text casts of the
    key's parts, which engines name differently (Spark refuses a VARCHAR without a length).
-#}
{% test okr_unique_key(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
