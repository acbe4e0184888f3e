{#-
    Rows whose validity window [valid_from, valid_to) overlaps the next window of the same
    entity, runs backwards, or is open (valid_to null) while a later window follows: the
    versions of an entity must tile business time. A zero-length window (two events at the
    same instant) is allowed.
-#}
{% test okr_non_overlapping_windows(model, partition_by, valid_from='valid_from', valid_to='valid_to') %}
with windows as (
    select
        {{ valid_from }} as window_from,
        {{ valid_to }} as window_to,
        lead({{ valid_from }}) over (
            partition by {{ partition_by | join(', ') }}
            order by {{ valid_from }}, {{ valid_to }} nulls last
        ) as next_from,
        {{ partition_by | join(', ') }}
    from {{ model }}
)
select *
from windows
where
    window_to < window_from
    or (window_to is null and next_from is not null)
    or window_to > next_from
{% endtest %}
