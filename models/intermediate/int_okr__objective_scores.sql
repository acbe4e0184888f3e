{#-
    The score of each active objective of each slice: the weighted mean of the scores of its
    direct children, its active key results and its aligned child objectives (whatever their
    period), recursively to any depth. Children without a score and zero weights are left out;
    nothing left gives null.

    The projected score is the same weighted mean of the key results' projected scores
    (int_okr__key_result_forecasts; the current score where there is no projection).

    Bottom-up recursion needs aggregation inside the recursion, which engines refuse; instead the
    score is unrolled top-down. A child objective "has a score" when some key result with a score
    and a positive weight lies below it through positive-weight objectives. Each parent divides
    by the total weight of its children that have one, so a key result's share of an ancestor's
    score is the product of weight / total along the path, which the alignment walk carries down
    (okr_alignment_walk, as everywhere the tree is walked).

    The shares below an objective add up to 1 in exact arithmetic, not in floating point (three
    thirds, or 3/6 + 1/6 + 1/6 + 1/6 once PostgreSQL has read each share with 15 digits, make
    1.000000000000001). So the score is sum(share * score) / sum(share), both sums taken over the
    same rounded shares: every key result scoring 1 gives exactly 1, every one 0 exactly 0, and
    since share * score <= share term by term, the score cannot leave [0, 1].
-#}
with recursive objectives as (

    select date_day, client_id, objective_id, parent_objective_id, weight
    from {{ ref('int_okr__objectives') }}

),

-- a key result without a projection counts with its current score in the projected score
key_results as (

    select date_day, client_id, objective_id, weight, score, coalesce(projected_score, score) as projected_score
    from {{ ref('int_okr__key_result_forecasts') }}
    where score is not null and weight > 0

),

-- child objectives that count towards their parent: active, positive weight, active parent
edges as (

    select
        child.date_day,
        child.client_id,
        child.objective_id as child_id,
        child.parent_objective_id as parent_id,
        child.weight
    from objectives as child
    inner join objectives as parent
        on child.date_day = parent.date_day
        and child.client_id = parent.client_id
        and child.parent_objective_id = parent.objective_id
    where child.weight > 0

),

upward as (

    select date_day, client_id, child_id as from_id, parent_id as to_id
    from edges

),

key_result_objectives as (

    select distinct date_day, client_id, objective_id
    from key_results

),

{{ okr_alignment_walk(
    'ancestors', 'key_result_objectives', 'upward', ['date_day', 'client_id'], var('okr_max_alignment_depth')) }},

-- the objectives with a scored key result below them (or their own) through positive weights
scored_objectives as (

    select distinct date_day, client_id, reached_id as objective_id
    from ancestors

),

scored_children as (

    select date_day, client_id, objective_id as parent_id, weight
    from key_results

    union all

    select edges.date_day, edges.client_id, edges.parent_id, edges.weight
    from edges
    inner join scored_objectives
        on edges.date_day = scored_objectives.date_day
        and edges.client_id = scored_objectives.client_id
        and edges.child_id = scored_objectives.objective_id

),

total_weights as (

    select date_day, client_id, parent_id, {{ okr_exact_sum('weight') }} as total_weight
    from scored_children
    group by date_day, client_id, parent_id

),

-- down the edges to scored children, each worth its weight over its parent's total
downward as (

    select
        edges.date_day,
        edges.client_id,
        edges.parent_id as from_id,
        edges.child_id as to_id,
        edges.weight,
        total_weights.total_weight
    from edges
    inner join total_weights
        using (date_day, client_id, parent_id)
    inner join scored_objectives
        on edges.date_day = scored_objectives.date_day
        and edges.client_id = scored_objectives.client_id
        and edges.child_id = scored_objectives.objective_id

),

-- the share of each scored descendant objective (reached_id) in its ancestor's score (start_id)
{{ okr_alignment_walk(
    'shares', 'objectives', 'downward', ['date_day', 'client_id'], var('okr_max_alignment_depth'),
    share_type=okr_type_double()) }},

-- each scored key result's share of each objective above it (its own included)
key_result_shares as (

    select
        shares.date_day,
        shares.client_id,
        shares.start_id as objective_id,
        cast(shares.share * key_results.weight / total_weights.total_weight as {{ okr_type_double() }}) as share,
        key_results.score,
        key_results.projected_score
    from shares
    inner join key_results
        on shares.date_day = key_results.date_day
        and shares.client_id = key_results.client_id
        and shares.reached_id = key_results.objective_id
    inner join total_weights
        on shares.date_day = total_weights.date_day
        and shares.client_id = total_weights.client_id
        and shares.reached_id = total_weights.parent_id

),

contributions as (

    select
        date_day,
        client_id,
        objective_id,
        {{ okr_exact_sum('share * score') }} / {{ okr_exact_sum('share') }} as score,
        {{ okr_exact_sum('share * projected_score') }} / {{ okr_exact_sum('share') }} as projected_score
    from key_result_shares
    group by date_day, client_id, objective_id

),

final as (

    select
        objectives.date_day,
        objectives.client_id,
        objectives.objective_id,
        cast(contributions.score as {{ okr_type_double() }}) as score,
        cast(contributions.projected_score as {{ okr_type_double() }}) as projected_score
    from objectives
    left join contributions
        on objectives.date_day = contributions.date_day
        and objectives.client_id = contributions.client_id
        and objectives.objective_id = contributions.objective_id

)

select * from final
