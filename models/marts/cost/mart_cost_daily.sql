{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC day x provider x model. cache_hit_rate is the share of calls served
-- with any cached input tokens or routed to the cache (is_cache_hit in fct_llm_requests).
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
        provider,
        model_id,
        count(*) as requests,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        sum(cached_tokens) as cached_tokens,
        sum(cost_usd) as cost_usd,
        sum(billed_cost_usd) as billed_cost_usd,
        sum(case when is_priced then 1 else 0 end) as priced_requests,
        sum(case when is_cache_hit then 1 else 0 end) as cache_hits,
        sum(cache_savings_usd) as cache_savings_usd,
        max(loaded_at) as last_loaded_at
    from requests
    group by request_date, provider, model_id

),

final as (

    select
        {{ surrogate_key(['request_date', 'provider', 'model_id']) }}
            as cost_day_id,
        request_date as activity_date,
        provider,
        model_id,
        cast(requests as bigint) as request_count,
        cast(prompt_tokens as bigint) as prompt_tokens,
        cast(completion_tokens as bigint) as completion_tokens,
        cast(cached_tokens as bigint) as cached_tokens,
        cast(coalesce(cost_usd, 0) as {{ type_double() }}) as cost_usd,
        {{ safe_divide('cost_usd', 'priced_requests') }} as cost_per_request_usd,
        {{ safe_divide('cache_hits', 'requests') }} as cache_hit_rate,
        cast(coalesce(cache_savings_usd, 0) as {{ type_double() }}) as cache_savings_usd,
        cast(requests - priced_requests as bigint) as unpriced_request_count,
        {{ is_complete_period('request_date', 'day') }} as is_complete_period,
        last_loaded_at,
        cast(coalesce(billed_cost_usd, 0) as {{ type_double() }}) as billed_cost_usd
    from aggregated

)

select * from final
