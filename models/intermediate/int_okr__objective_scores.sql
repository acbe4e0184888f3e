{#-
    Objective score = weighted mean of the scores of its direct children: its active key results
    and its aligned child objectives (whatever their period), recursively to any depth. Children
    without a score and zero weights are left out; nothing left gives null.

    Bottom-up recursion needs aggregation inside the recursion, which engines refuse; instead the
    score is unrolled top-down. A child objective "has a score" when some key result with a score
    and a positive weight lies below it through positive-weight objectives. Each parent divides by
    the total weight of its children that have one, so a key result's share of an ancestor's score
    is the product of weight / total along the path, which one recursive walk carries down.
-#}
with recursive objectives as (

    select client_id, objective_id, parent_objective_id, weight
    from {{ ref('int_okr__objectives_current') }}

),

key_results as (

    select client_id, objective_id, weight, score
    from {{ ref('int_okr__key_result_scores') }}
    where score is not null and weight > 0

),

-- child objectives that count towards their parent: active, positive weight, active parent
edges as (

    select
        child.client_id,
        child.parent_objective_id as parent_id,
        child.objective_id as child_id,
        child.weight
    from objectives as child
    inner join objectives as parent
        on child.client_id = parent.client_id
        and child.parent_objective_id = parent.objective_id
    where child.weight > 0

),

descendants (client_id, ancestor_id, descendant_id, depth) as (

    select client_id, objective_id, objective_id, 0
    from objectives

    union all

    select descendants.client_id, descendants.ancestor_id, edges.child_id, descendants.depth + 1
    from descendants
    inner join edges
        on descendants.client_id = edges.client_id
        and descendants.descendant_id = edges.parent_id
    where descendants.depth < {{ var('okr_max_alignment_depth') }}

),

scored_objectives as (

    select distinct descendants.client_id, descendants.ancestor_id as objective_id
    from descendants
    inner join key_results
        on descendants.client_id = key_results.client_id
        and descendants.descendant_id = key_results.objective_id

),

scored_children as (

    select client_id, objective_id as parent_id, weight
    from key_results

    union all

    select edges.client_id, edges.parent_id, edges.weight
    from edges
    inner join scored_objectives
        on edges.client_id = scored_objectives.client_id
        and edges.child_id = scored_objectives.objective_id

),

total_weights as (

    select client_id, parent_id, sum(weight) as total_weight
    from scored_children
    group by client_id, parent_id

),

-- share of each scored descendant objective in its ancestor's score
shares (client_id, ancestor_id, descendant_id, share, depth) as (

    select client_id, objective_id, objective_id, cast(1.0 as {{ okr_type_double() }}), 0
    from objectives

    union all

    select
        shares.client_id,
        shares.ancestor_id,
        edges.child_id,
        cast(shares.share * edges.weight / total_weights.total_weight as {{ okr_type_double() }}),
        shares.depth + 1
    from shares
    inner join edges
        on shares.client_id = edges.client_id
        and shares.descendant_id = edges.parent_id
    inner join scored_objectives
        on edges.client_id = scored_objectives.client_id
        and edges.child_id = scored_objectives.objective_id
    inner join total_weights
        on shares.client_id = total_weights.client_id
        and shares.descendant_id = total_weights.parent_id
    where shares.depth < {{ var('okr_max_alignment_depth') }}

),

contributions as (

    select
        shares.client_id,
        shares.ancestor_id as objective_id,
        sum(shares.share * key_results.weight * key_results.score / total_weights.total_weight) as score
    from shares
    inner join key_results
        on shares.client_id = key_results.client_id
        and shares.descendant_id = key_results.objective_id
    inner join total_weights
        on shares.client_id = total_weights.client_id
        and shares.descendant_id = total_weights.parent_id
    group by shares.client_id, shares.ancestor_id

),

final as (

    select
        objectives.client_id,
        objectives.objective_id,
        cast(contributions.score as {{ okr_type_double() }}) as score
    from objectives
    left join contributions
        on objectives.client_id = contributions.client_id
        and objectives.objective_id = contributions.objective_id

)

select * from final
