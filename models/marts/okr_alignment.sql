{#-
    The alignment tree: each active objective with its parent, the root of its tree (normally the
    company objective), its depth below the root (0 for a root) and the path of ids from the root.
    An objective whose parent is archived or unknown roots a tree of its own. Objectives caught in
    a cycle have no root (the quality gate reports cycles).
-#}
with recursive objectives as (

    select client_id, objective_id, parent_objective_id, title, level, period
    from {{ ref('int_okr__objectives_current') }}

),

roots as (

    select child.client_id, child.objective_id
    from objectives as child
    left join objectives as parent
        on child.client_id = parent.client_id
        and child.parent_objective_id = parent.objective_id
    where parent.objective_id is null

),

tree (client_id, objective_id, root_objective_id, depth, path) as (

    select
        client_id,
        objective_id,
        objective_id,
        0,
        cast(objective_id as {{ dbt.type_string() }})
    from roots

    union all

    select
        objectives.client_id,
        objectives.objective_id,
        tree.root_objective_id,
        tree.depth + 1,
        cast(tree.path || ' > ' || objectives.objective_id as {{ dbt.type_string() }})
    from tree
    inner join objectives
        on tree.client_id = objectives.client_id
        and tree.objective_id = objectives.parent_objective_id
    where tree.depth < {{ var('okr_max_alignment_depth') }}

),

final as (

    select
        cast(objectives.objective_id as {{ dbt.type_string() }}) as objective_id,
        cast(objectives.client_id as {{ dbt.type_string() }}) as client_id,
        cast(objectives.title as {{ dbt.type_string() }}) as title,
        cast(objectives.level as {{ dbt.type_string() }}) as level,
        cast(objectives.period as {{ dbt.type_string() }}) as period,
        cast(objectives.parent_objective_id as {{ dbt.type_string() }}) as parent_objective_id,
        cast(tree.root_objective_id as {{ dbt.type_string() }}) as root_objective_id,
        cast(tree.depth as {{ dbt.type_int() }}) as depth,
        cast(tree.path as {{ dbt.type_string() }}) as path,
        {{ okr_as_of() }} as as_of_at
    from objectives
    left join tree
        on objectives.client_id = tree.client_id
        and objectives.objective_id = tree.objective_id

)

select * from final
