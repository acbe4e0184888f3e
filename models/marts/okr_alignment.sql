{#-
    The alignment tree: each active objective with its parent, the root of its tree (normally the
    company objective), its depth below the root (0 for a root) and the path of ids from the root.
    An objective whose parent is archived or unknown roots a tree of its own. Objectives caught in
    a cycle have no root (the quality gate reports cycles).
-#}
with recursive objectives as (

    select client_id, objective_id, parent_objective_id, title, level, period
    from {{ ref('int_okr__objectives') }}
    where {{ okr_is_current_slice() }}

),

-- each objective's link to its parent, when the parent is active
links as (

    select child.client_id, child.objective_id as from_id, child.parent_objective_id as to_id
    from objectives as child
    inner join objectives as parent
        on child.client_id = parent.client_id
        and child.parent_objective_id = parent.objective_id

),

{{ okr_alignment_walk('ancestors', 'objectives', 'links', ['client_id'], var('okr_max_alignment_depth')) }},

-- where each walk up ends: an ancestor without an active parent (none in a cycle)
roots as (

    select ancestors.client_id, ancestors.start_id as objective_id, ancestors.reached_id as root_objective_id, ancestors.depth
    from ancestors
    where not exists (
        select 1 from links
        where links.client_id = ancestors.client_id and links.from_id = ancestors.reached_id
    )

),

tree as (

    select
        roots.client_id,
        roots.objective_id,
        roots.root_objective_id,
        roots.depth,
        {{ okr_listagg('ancestors.reached_id', "' > '", 'order by ancestors.depth desc') }} as path
    from roots
    inner join ancestors
        on roots.client_id = ancestors.client_id
        and roots.objective_id = ancestors.start_id
    group by roots.client_id, roots.objective_id, roots.root_objective_id, roots.depth

),

placed as (

    select
        objectives.*,
        tree.root_objective_id,
        tree.depth,
        tree.path,
        {{ okr_as_of() }} as as_of_at
    from objectives
    left join tree
        on objectives.client_id = tree.client_id
        and objectives.objective_id = tree.objective_id

),

final as (

    select
        {{ okr_contract_columns() }}
    from placed

)

select * from final
