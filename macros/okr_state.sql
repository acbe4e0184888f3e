{#-
    The state of objectives, key results and KPIs at a moment, replayed from the goal events
    visible then. Each macro is one step, shared by the current-state models (by = [], the
    events visible at `as_of`) and the daily marts (by = ['date_day'], the events visible at the
    end of each day, one replay per day): see okr_by in okr_carry_forward.sql.
-#}

{#- Every key result event that changes its definition (created, updated, target changed,
    removed) replayed into a full version. Check-ins and grades are observations of the key
    result, not versions of it. -#}
{% macro okr_key_result_versions(events, by=[]) -%}
    with events as (

        select
            *,
            case when start_value is not null then event_id end as start_value_event_id
        from {{ events }}
        where event_type in (
            'key_result_created', 'key_result_updated', 'key_result_target_changed', 'key_result_removed'
        )

    ),

    versions as (

        {{ okr_carry_forward('events', [
            'objective_id', 'title', 'scoring', 'start_value', 'start_value_event_id', 'target_value',
            'direction', 'unit', 'weight', 'owner', 'due_date', 'kpi_id', 'kpi_window', 'description'],
            by, ended_by='key_result_removed') }}

    )

    select
        {{ okr_version_columns('key_result_id', by) }},
        objective_id,
        title,
        coalesce(scoring, 'spectrum') as scoring,
        coalesce(start_value, 0.0) as start_value,
        start_value_event_id,
        target_value,
        direction as declared_direction,
        unit,
        coalesce(weight, 1.0) as weight,
        owner,
        due_date,
        kpi_id,
        case when kpi_id is not null then coalesce(kpi_window, 'period_to_date') end as kpi_window,
        description,
        is_ended as is_removed
    from versions
{%- endmacro %}

{#- Every objective event replayed into a full version of the objective. -#}
{% macro okr_objective_versions(events, by=[]) -%}
    with events as (

        select * from {{ events }}
        where entity_type = 'objective'

    ),

    versions as (

        {{ okr_carry_forward('events', [
            'title', 'level', 'period', 'period_start', 'period_end', 'owner', 'team',
            'parent_objective_id', 'kind', 'weight', 'description'], by, ended_by='objective_archived') }}

    )

    select
        {{ okr_version_columns('objective_id', by) }},
        title,
        level,
        period,
        period_start,
        period_end,
        owner,
        team,
        parent_objective_id,
        coalesce(kind, 'aspirational') as kind,
        coalesce(weight, 1.0) as weight,
        description,
        is_ended as is_archived
    from versions
{%- endmacro %}

{#- Every KPI event replayed into a full version of the KPI definition. -#}
{% macro okr_kpi_versions(events, by=[]) -%}
    with events as (

        select * from {{ events }}
        where entity_type = 'kpi'

    ),

    versions as (

        {{ okr_carry_forward('events', [
            'name', 'aggregation', 'unit', 'direction', 'target_value', 'target_grain', 'owner',
            'description'], by, ended_by='kpi_retired') }}

    )

    select
        {{ okr_version_columns('kpi_id', by) }},
        name,
        aggregation,
        unit,
        coalesce(direction, 'higher_is_better') as direction,
        target_value,
        target_grain,
        owner,
        description,
        is_ended as is_retired
    from versions
{%- endmacro %}

{#- The latest version of each objective; archived objectives leave. -#}
{% macro okr_objectives_current(versions, by=[]) -%}
    with latest_versions as (

        {{ okr_latest_versions(versions, 'objective_id', by) }}

    )

    select
        {{ okr_by(by) }}
        client_id,
        objective_id,
        title,
        level,
        period,
        period_start,
        period_end,
        owner,
        team,
        parent_objective_id,
        kind,
        weight,
        description,
        event_id as version_event_id
    from latest_versions
    where not is_archived
{%- endmacro %}

{#- The definition of each KPI in effect (retired ones included, flagged). -#}
{% macro okr_kpis_current(versions, by=[]) -%}
    with latest_versions as (

        {{ okr_latest_versions(versions, 'kpi_id', by) }}

    )

    select
        {{ okr_by(by) }}
        client_id,
        kpi_id,
        name,
        aggregation,
        unit,
        direction,
        target_value,
        target_grain,
        owner,
        description,
        is_retired
    from latest_versions
{%- endmacro %}

{#-
    Each active key result: its latest version (target in effect included), not removed, under
    an active objective (key results of an archived or unknown objective leave with it), with its
    window: the objective's period start to the due date, which defaults to the end of the
    objective's period.
-#}
{% macro okr_key_result_windows(versions, objectives, kpis, by=[]) -%}
    with latest_versions as (

        {{ okr_latest_versions(versions, 'key_result_id', by) }}

    ),

    key_results as (

        select * from latest_versions
        where not is_removed

    )

    select
        {{ okr_by(by, 'key_results.') }}
        key_results.client_id,
        key_results.key_result_id,
        key_results.objective_id,
        key_results.title,
        key_results.owner,
        key_results.scoring,
        key_results.declared_direction,
        key_results.weight,
        key_results.unit,
        key_results.description,
        key_results.kpi_id,
        key_results.kpi_window,
        kpis.aggregation as kpi_aggregation,
        key_results.start_value,
        key_results.start_value_event_id,
        key_results.target_value,
        objectives.period_start as window_start,
        coalesce(key_results.due_date, objectives.period_end) as window_end
    from key_results
    inner join {{ objectives }} as objectives
        on key_results.client_id = objectives.client_id
        and key_results.objective_id = objectives.objective_id
        {{- okr_by_join(by, 'key_results', 'objectives') }}
    left join {{ kpis }} as kpis
        on key_results.client_id = kpis.client_id
        and key_results.kpi_id = kpis.kpi_id
        {{- okr_by_join(by, 'key_results', 'kpis') }}
{%- endmacro %}

{#-
    Each active key result (okr_key_result_windows) with its current value and the latest final
    grade.

    The current value of a key result fed by a KPI comes from the KPI's observations (its own
    client's, corrections applied, as visible at the moment) measured by the end of the due
    date, read from the daily partial aggregates (int_okr__kpi_daily_segments, each as known
    from one day to another): kpi_window period_to_date aggregates the days from the window's
    start by the KPI's rule, all segments together as in the rollups; latest takes the latest
    observation. Other key results take the latest check-in that occurred by then and by the end
    of the due date. Without either: the start value.
-#}
{% macro okr_key_result_values(windowed, events, daily, by=[]) -%}
    with windowed as (

        select * from {{ windowed }}

    ),

    events as (

        select * from {{ events }}
        where event_type in ('key_result_checked_in', 'key_result_graded')

    ),

    check_ins as (

        select
            {{ okr_by(by, 'events.') }}
            events.client_id,
            events.entity_id as key_result_id,
            events.event_id,
            events.occurred_at,
            events.check_in_value,
            events.confidence,
            events.note,
            row_number() over (
                partition by {{ okr_by(by, 'events.') }} events.client_id, events.entity_id
                order by {{ okr_latest_first('events.') }}
            ) as recency
        from events
        inner join windowed
            on events.client_id = windowed.client_id
            and events.entity_id = windowed.key_result_id
            {{- okr_by_join(by, 'events', 'windowed') }}
        where
            events.event_type = 'key_result_checked_in'
            -- values measured after the deadline do not count
            and events.occurred_at < {{ dbt.dateadd('day', 1, 'windowed.window_end') }}

    ),

    kpi_days as (

        select
            {{ okr_by(by, 'windowed.') }}
            windowed.client_id,
            windowed.key_result_id,
            windowed.kpi_window,
            windowed.kpi_aggregation,
            daily.total,
            daily.observation_count,
            daily.minimum,
            daily.maximum,
            daily.last_value,
            daily.last_event_id,
            daily.last_observed_at,
            row_number() over (
                partition by {{ okr_by(by, 'windowed.') }} windowed.client_id, windowed.key_result_id, daily.segment_key
                order by {{ okr_latest_day_first('daily.') }}
            ) as segment_recency,
            row_number() over (
                partition by {{ okr_by(by, 'windowed.') }} windowed.client_id, windowed.key_result_id
                order by {{ okr_latest_day_first('daily.') }}
            ) as recency
        from windowed
        inner join {{ daily }} as daily
            on windowed.client_id = daily.client_id
            and windowed.kpi_id = daily.kpi_id
        where
            daily.date_day <= windowed.window_end
            and (windowed.kpi_window = 'latest' or daily.date_day >= windowed.window_start)
            {%- if by %}
            -- the aggregates as known at the end of that day
            and daily.known_from <= windowed.date_day
            and (daily.known_to is null or daily.known_to > windowed.date_day)
            {%- else %}
            and daily.known_to is null
            {%- endif %}

    ),

    kpi_values as (

        select
            {{ okr_by(by, 'kpi_days.') }}
            kpi_days.client_id,
            kpi_days.key_result_id,
            case kpi_days.kpi_window
                when 'latest' then max(case when kpi_days.recency = 1 then kpi_days.last_value end)
                else {{ okr_aggregate_by_rule(
                    'max(kpi_days.kpi_aggregation)',
                    'sum(kpi_days.total)',
                    'sum(kpi_days.observation_count)',
                    'min(kpi_days.minimum)',
                    'max(kpi_days.maximum)',
                    'sum(case when kpi_days.segment_recency = 1 then kpi_days.last_value end)') }}
            end as kpi_value,
            max(case when kpi_days.recency = 1 then kpi_days.last_event_id end) as kpi_event_id,
            max(case when kpi_days.recency = 1 then kpi_days.last_observed_at end) as kpi_observed_at
        from kpi_days
        group by {{ okr_by(by, 'kpi_days.') }} kpi_days.client_id, kpi_days.key_result_id, kpi_days.kpi_window

    ),

    grades as (

        select
            {{ okr_by(by) }}
            client_id,
            entity_id as key_result_id,
            event_id,
            graded_score,
            row_number() over (partition by {{ okr_by(by) }} client_id, entity_id order by {{ okr_latest_first() }}) as recency
        from events
        where event_type = 'key_result_graded'

    )

    select
        {{ okr_by(by, 'windowed.') }}
        windowed.client_id,
        windowed.key_result_id,
        windowed.objective_id,
        windowed.title,
        windowed.owner,
        windowed.scoring,
        {{ okr_kr_direction('windowed.declared_direction', 'windowed.start_value', 'windowed.target_value') }} as direction,
        windowed.weight,
        windowed.unit,
        windowed.description,
        windowed.window_start,
        windowed.window_end as due_date,
        windowed.kpi_id,
        windowed.kpi_window,
        windowed.start_value,
        windowed.target_value,
        case
            when kpi_values.kpi_value is not null then kpi_values.kpi_value
            when windowed.kpi_id is null and check_ins.event_id is not null then check_ins.check_in_value
            else windowed.start_value
        end as current_value,
        case
            when kpi_values.kpi_value is not null then 'kpi'
            when windowed.kpi_id is null and check_ins.event_id is not null then 'check_in'
            else 'start_value'
        end as current_value_source,
        case
            when kpi_values.kpi_value is not null then kpi_values.kpi_event_id
            when windowed.kpi_id is null and check_ins.event_id is not null then check_ins.event_id
            else windowed.start_value_event_id
        end as current_value_event_id,
        case when windowed.kpi_id is null then check_ins.confidence end as confidence,
        case when windowed.kpi_id is null then check_ins.occurred_at end as last_check_in_at,
        case when windowed.kpi_id is null then check_ins.note end as last_check_in_note,
        case
            when windowed.kpi_id is null then check_ins.occurred_at else kpi_values.kpi_observed_at
        end as last_activity_at,
        grades.graded_score,
        grades.event_id as graded_event_id
    from windowed
    left join check_ins
        on windowed.client_id = check_ins.client_id
        and windowed.key_result_id = check_ins.key_result_id
        and check_ins.recency = 1
        {{- okr_by_join(by, 'windowed', 'check_ins') }}
    left join kpi_values
        on windowed.client_id = kpi_values.client_id
        and windowed.key_result_id = kpi_values.key_result_id
        {{- okr_by_join(by, 'windowed', 'kpi_values') }}
    left join grades
        on windowed.client_id = grades.client_id
        and windowed.key_result_id = grades.key_result_id
        and grades.recency = 1
        {{- okr_by_join(by, 'windowed', 'grades') }}
{%- endmacro %}

{#- The scoring rules (docs/rules.md) applied to each active key result; as_of_date is the day scored. -#}
{% macro okr_key_result_scores(key_results, as_of_date, by=[]) -%}
    with progressed as (

        select
            *,
            {{ as_of_date }} as as_of_date,
            {{ okr_kr_progress('scoring', 'direction', 'start_value', 'target_value', 'current_value') }} as progress
        from {{ key_results }}

    ),

    computed as (

        select
            *,
            {{ okr_kr_computed_score('scoring', 'direction', 'target_value', 'current_value', 'progress') }} as computed_score,
            {{ okr_expected_progress('window_start', 'due_date', 'as_of_date') }} as expected_progress
        from progressed

    ),

    scored as (

        select
            *,
            -- the owner's final grade replaces the computed score, which stays beside it
            coalesce(graded_score, computed_score) as score,
            case when graded_score is not null then 'graded' else current_value_source end as value_source,
            case when graded_score is not null then graded_event_id else current_value_event_id end as value_event_id
        from computed

    )

    select
        {{ okr_by(by) }}
        client_id,
        key_result_id,
        objective_id,
        title,
        owner,
        scoring,
        direction,
        weight,
        unit,
        description,
        window_start,
        due_date,
        kpi_id,
        kpi_window,
        start_value,
        target_value,
        current_value,
        progress,
        score,
        computed_score,
        {{ okr_grade('score') }} as grade,
        expected_progress,
        {{ okr_health('score', 'expected_progress', 'due_date', 'as_of_date', 'confidence', "scoring = 'binary'") }} as health,
        confidence,
        last_check_in_at,
        last_check_in_note,
        last_activity_at,
        value_source,
        value_event_id
    from scored
{%- endmacro %}

{#-
    Objective score = weighted mean of the scores of its direct children: its active key results
    and its aligned child objectives (whatever their period), recursively to any depth. Children
    without a score and zero weights are left out; nothing left gives null.

    Bottom-up recursion needs aggregation inside the recursion, which engines refuse; instead the
    score is unrolled top-down. A child objective "has a score" when some key result with a score
    and a positive weight lies below it through positive-weight objectives. Each parent divides by
    the total weight of its children that have one, so a key result's share of an ancestor's score
    is the product of weight / total along the path, which one recursive walk carries down.
    A whole query (it opens WITH RECURSIVE): a model of its own.
-#}
{% macro okr_objective_scores(objectives, key_result_scores, by=[]) -%}
    with recursive objectives as (

        select {{ okr_by(by) }} client_id, objective_id, parent_objective_id, weight
        from {{ objectives }}

    ),

    key_results as (

        select {{ okr_by(by) }} client_id, objective_id, weight, score
        from {{ key_result_scores }}
        where score is not null and weight > 0

    ),

    -- child objectives that count towards their parent: active, positive weight, active parent
    edges as (

        select
            {{ okr_by(by, 'child.') }}
            child.client_id,
            child.parent_objective_id as parent_id,
            child.objective_id as child_id,
            child.weight
        from objectives as child
        inner join objectives as parent
            on child.client_id = parent.client_id
            and child.parent_objective_id = parent.objective_id
            {{- okr_by_join(by, 'child', 'parent') }}
        where child.weight > 0

    ),

    descendants ({{ okr_by(by) }} client_id, ancestor_id, descendant_id, depth) as (

        select {{ okr_by(by) }} client_id, objective_id, objective_id, 0
        from objectives

        union all

        select {{ okr_by(by, 'descendants.') }} descendants.client_id, descendants.ancestor_id, edges.child_id, descendants.depth + 1
        from descendants
        inner join edges
            on descendants.client_id = edges.client_id
            and descendants.descendant_id = edges.parent_id
            {{- okr_by_join(by, 'descendants', 'edges') }}
        where descendants.depth < {{ var('okr_max_alignment_depth') }}

    ),

    scored_objectives as (

        select distinct {{ okr_by(by, 'descendants.') }} descendants.client_id, descendants.ancestor_id as objective_id
        from descendants
        inner join key_results
            on descendants.client_id = key_results.client_id
            and descendants.descendant_id = key_results.objective_id
            {{- okr_by_join(by, 'descendants', 'key_results') }}

    ),

    scored_children as (

        select {{ okr_by(by) }} client_id, objective_id as parent_id, weight
        from key_results

        union all

        select {{ okr_by(by, 'edges.') }} edges.client_id, edges.parent_id, edges.weight
        from edges
        inner join scored_objectives
            on edges.client_id = scored_objectives.client_id
            and edges.child_id = scored_objectives.objective_id
            {{- okr_by_join(by, 'edges', 'scored_objectives') }}

    ),

    total_weights as (

        select {{ okr_by(by) }} client_id, parent_id, {{ okr_exact_sum('weight') }} as total_weight
        from scored_children
        group by {{ okr_by(by) }} client_id, parent_id

    ),

    -- share of each scored descendant objective in its ancestor's score
    shares ({{ okr_by(by) }} client_id, ancestor_id, descendant_id, share, depth) as (

        select {{ okr_by(by) }} client_id, objective_id, objective_id, cast(1.0 as {{ okr_type_double() }}), 0
        from objectives

        union all

        select
            {{ okr_by(by, 'shares.') }}
            shares.client_id,
            shares.ancestor_id,
            edges.child_id,
            cast(shares.share * edges.weight / total_weights.total_weight as {{ okr_type_double() }}),
            shares.depth + 1
        from shares
        inner join edges
            on shares.client_id = edges.client_id
            and shares.descendant_id = edges.parent_id
            {{- okr_by_join(by, 'shares', 'edges') }}
        inner join scored_objectives
            on edges.client_id = scored_objectives.client_id
            and edges.child_id = scored_objectives.objective_id
            {{- okr_by_join(by, 'edges', 'scored_objectives') }}
        inner join total_weights
            on shares.client_id = total_weights.client_id
            and shares.descendant_id = total_weights.parent_id
            {{- okr_by_join(by, 'shares', 'total_weights') }}
        where shares.depth < {{ var('okr_max_alignment_depth') }}

    ),

    contributions as (

        select
            {{ okr_by(by, 'shares.') }}
            shares.client_id,
            shares.ancestor_id as objective_id,
            {{ okr_exact_sum('shares.share * key_results.weight * key_results.score / total_weights.total_weight') }} as score
        from shares
        inner join key_results
            on shares.client_id = key_results.client_id
            and shares.descendant_id = key_results.objective_id
            {{- okr_by_join(by, 'shares', 'key_results') }}
        inner join total_weights
            on shares.client_id = total_weights.client_id
            and shares.descendant_id = total_weights.parent_id
            {{- okr_by_join(by, 'shares', 'total_weights') }}
        group by {{ okr_by(by, 'shares.') }} shares.client_id, shares.ancestor_id

    )

    select
        {{ okr_by(by, 'objectives.') }}
        objectives.client_id,
        objectives.objective_id,
        cast(contributions.score as {{ okr_type_double() }}) as score
    from objectives
    left join contributions
        on objectives.client_id = contributions.client_id
        and objectives.objective_id = contributions.objective_id
        {{- okr_by_join(by, 'objectives', 'contributions') }}
{%- endmacro %}

{#-
    Each active objective with its score, key result count, expected progress and health on
    as_of_date (the rules of docs/rules.md; an objective's window is its period, no confidence).
-#}
{% macro okr_objective_assessment(objectives, scores, key_result_scores, as_of_date, by=[]) -%}
    with key_result_counts as (

        select {{ okr_by(by) }} client_id, objective_id, count(*) as key_result_count
        from {{ key_result_scores }}
        group by {{ okr_by(by) }} client_id, objective_id

    ),

    joined as (

        select
            objectives.*,
            scores.score,
            coalesce(key_result_counts.key_result_count, 0) as key_result_count,
            {{ as_of_date }} as as_of_date
        from {{ objectives }} as objectives
        left join {{ scores }} as scores
            on objectives.client_id = scores.client_id
            and objectives.objective_id = scores.objective_id
            {{- okr_by_join(by, 'objectives', 'scores') }}
        left join key_result_counts
            on objectives.client_id = key_result_counts.client_id
            and objectives.objective_id = key_result_counts.objective_id
            {{- okr_by_join(by, 'objectives', 'key_result_counts') }}

    ),

    assessed as (

        select
            *,
            {{ okr_expected_progress('period_start', 'period_end', 'as_of_date') }} as expected_progress
        from joined

    )

    select
        *,
        {{ okr_grade('score') }} as grade,
        {{ okr_health('score', 'expected_progress', 'period_end', 'as_of_date') }} as health
    from assessed
{%- endmacro %}
