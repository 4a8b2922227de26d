-- Grain: one row per call picked for human review: in each stratum (UTC day x feature x model),
-- the var review_sample_per_stratum calls with the smallest hash of their request_id (ties, which
-- md5 makes vanishingly rare, by the request_id itself). The hash, not a random draw, makes the
-- pick deterministic: a rebuild picks the same calls, and a stratum's pick changes only when a
-- call with a smaller hash arrives for it. Ids and non-sensitive facts only: no text, no user.
-- A plain table: one window over the calls.

with

calls as (

    select * from {{ ref('fct_llm_requests') }}

),

scores as (

    select * from {{ ref('fct_evaluation_scores') }}
    where evaluation_level = 'call'

),

scored as (

    select
        request_id,
        count(*) as scores,
        sum(case when evaluation_source = 'human' then 1 else 0 end) as human_scores
    from scores
    group by request_id

),

ranked as (

    select
        calls.*,
        row_number() over (
            partition by calls.request_date, calls.feature_id, calls.model_id
            order by {{ dbt.hash('calls.request_id') }}, calls.request_id
        ) as sample_rank,
        count(*) over (partition by calls.request_date, calls.feature_id, calls.model_id) as stratum_requests
    from calls

),

final as (

    select
        ranked.request_id,
        {{ surrogate_key(['ranked.request_date', "coalesce(ranked.feature_id, '')", 'ranked.model_id']) }}
            as stratum_id,
        ranked.request_date as activity_date,
        ranked.feature_id,
        ranked.model_id,
        ranked.provider,
        ranked.session_id,
        ranked.occurred_at,
        ranked.status,
        ranked.prompt_tokens,
        ranked.completion_tokens,
        ranked.total_latency_ms,
        ranked.cost_usd,
        cast(ranked.sample_rank as bigint) as sample_rank,
        cast(ranked.stratum_requests as bigint) as stratum_request_count,
        cast(coalesce(scored.scores, 0) as bigint) as score_count,
        coalesce(scored.human_scores, 0) > 0 as has_human_score,
        {{ is_complete_period('ranked.request_date', 'day') }} as is_complete_period
    from ranked
    left join scored on ranked.request_id = scored.request_id
    where ranked.sample_rank <= {{ var('review_sample_per_stratum') }}

)

select * from final
