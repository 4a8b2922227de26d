{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC day x feature x provider x model. A query is a distinct query_hash
-- (docs/glossary.md): tokens per query are the tokens of the calls that carry a query, over the
-- distinct queries of the row, so a query sent three times (a regeneration, a retry) counts its
-- tokens three times and once as a query. Tokens per call are over every call, failed ones included
-- (a failed call's tokens are what its fact says, usually 0 completion tokens).
-- Incremental: every day with a call loaded within the lookback is recomputed whole.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

requests as (

    {{ incremental_scope('all_requests', 'request_date', [
        touched('all_requests', 'request_date'), incomplete_periods('activity_date')
    ]) }}

),

aggregated as (

    select
        request_date,
        feature_id,
        provider,
        model_id,
        count(*) as requests,
        count(distinct query_hash) as queries,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        sum(case when query_hash is not null then prompt_tokens end) as query_prompt_tokens,
        sum(case when query_hash is not null then completion_tokens end) as query_completion_tokens,
        {{ percentile_cont('total_tokens', 0.5) }} as total_tokens_p50,
        {{ percentile_cont('total_tokens', 0.95) }} as total_tokens_p95,
        max(loaded_at) as last_loaded_at
    from requests
    group by request_date, feature_id, provider, model_id

),

final as (

    select
        {{ surrogate_key(['request_date', "coalesce(feature_id, '')", 'provider', 'model_id']) }}
            as tokens_day_id,
        request_date as activity_date,
        feature_id,
        provider,
        model_id,
        cast(queries as bigint) as query_count,
        cast(requests as bigint) as request_count,
        cast(prompt_tokens as bigint) as prompt_tokens,
        cast(completion_tokens as bigint) as completion_tokens,
        {{ safe_divide('prompt_tokens', 'requests') }} as prompt_tokens_per_request,
        {{ safe_divide('completion_tokens', 'requests') }} as completion_tokens_per_request,
        {{ safe_divide('query_prompt_tokens', 'queries') }} as prompt_tokens_per_query,
        {{ safe_divide('query_completion_tokens', 'queries') }} as completion_tokens_per_query,
        cast(total_tokens_p50 as {{ type_double() }}) as total_tokens_p50,
        cast(total_tokens_p95 as {{ type_double() }}) as total_tokens_p95,
        {{ is_complete_period('request_date', 'day') }} as is_complete_period,
        last_loaded_at
    from aggregated

)

select * from final
