-- Grain: one row per UTC day x feature x provider x model x score_name x source with call-level
-- scores. The day, feature, provider and model are the scored call's. Coverage is the share of
-- the cell's calls (all calls of the day, feature, provider and model in fct_llm_requests, failed
-- ones included) with at least one score of that name from that source. Session-level scores
-- (no request_id) belong to no call, so to no cell: they are in fct_evaluation_scores only.
-- A plain table: one pass over the scores and one over the calls.

with

scores as (

    select * from {{ ref('fct_evaluation_scores') }}
    where evaluation_level = 'call' and is_call_found

),

calls as (

    select * from {{ ref('fct_llm_requests') }}

),

cell_calls as (

    select
        request_date,
        feature_id,
        provider,
        model_id,
        count(*) as requests
    from calls
    group by request_date, feature_id, provider, model_id

),

cell_scores as (

    select
        activity_date,
        feature_id,
        provider,
        model_id,
        score_name,
        evaluation_source,
        count(*) as scores,
        count(distinct request_id) as scored_requests,
        count(score_value) as valued_scores,
        avg(score_value) as avg_score_value,
        sum(case when is_pass_evaluated then 1 else 0 end) as pass_evaluated_scores,
        sum(case when is_passing then 1 else 0 end) as passing_scores,
        max(loaded_at) as last_loaded_at
    from scores
    group by activity_date, feature_id, provider, model_id, score_name, evaluation_source

),

final as (

    select
        {{ surrogate_key([
            'cell_scores.activity_date', "coalesce(cell_scores.feature_id, '')", 'cell_scores.provider',
            'cell_scores.model_id', 'cell_scores.score_name', 'cell_scores.evaluation_source',
        ]) }} as answer_quality_day_id,
        cell_scores.activity_date,
        cell_scores.feature_id,
        cell_scores.provider,
        cell_scores.model_id,
        cell_scores.score_name,
        cell_scores.evaluation_source,
        cast(cell_calls.requests as bigint) as request_count,
        cast(cell_scores.scored_requests as bigint) as scored_request_count,
        cast(cell_scores.scores as bigint) as score_count,
        {{ safe_divide('cell_scores.scored_requests', 'cell_calls.requests') }} as coverage_rate,
        cast(cell_scores.avg_score_value as {{ type_double() }}) as avg_score_value,
        cast(cell_scores.pass_evaluated_scores as bigint) as pass_evaluated_score_count,
        cast(cell_scores.passing_scores as bigint) as passing_score_count,
        {{ safe_divide('cell_scores.passing_scores', 'cell_scores.pass_evaluated_scores') }} as pass_rate,
        {{ is_complete_period('cell_scores.activity_date', 'day') }} as is_complete_period,
        cell_scores.last_loaded_at
    from cell_scores
    inner join cell_calls
        on
            cell_scores.activity_date = cell_calls.request_date
            and cell_scores.feature_id is not distinct from cell_calls.feature_id
            and cell_scores.provider = cell_calls.provider
            and cell_scores.model_id = cell_calls.model_id

)

select * from final
