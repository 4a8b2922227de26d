{{
    config(
        materialized='incremental',
        unique_key='request_id',
        meta={'recent_column': 'loaded_at'}
    )
}}

-- One row per valid LLM call (deduplicated, rule-breaking rows excluded: see int_rejected_rows).
-- Incremental: each run re-reads the calls loaded in the last `lookback_hours` hours before the
-- newest loaded_at already here, and replaces them by request_id, so late events land and the
-- result equals a full refresh. Costs are as of the call's time and never recomputed later:
-- a change to seeds/negotiated_prices.csv reaches old calls with --full-refresh only
-- (docs/incremental.md; the warn test warn_stale_billed_cost counts the calls it leaves behind).
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

requests as (

    {{ incremental_scope(ref('int_llm_requests__scored')) }}

),

final as (

    select
        request_id,
        occurred_at,
        received_at,
        loaded_at,
        cast(occurred_at as date) as request_date,
        {{ dbt.date_trunc('hour', 'occurred_at') }} as request_hour,
        tenant_id,
        user_id,
        user_id is null as is_anonymous,
        session_id,
        feature_id,
        user_source,
        provider,
        model_id,
        priced_model_id,
        model_version,
        routing_strategy,
        temperature,
        coalesce(prompt_tokens, 0) as prompt_tokens,
        cached_tokens,
        uncached_prompt_tokens,
        coalesce(completion_tokens, 0) as completion_tokens,
        coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0) as total_tokens,
        ttft_ms,
        total_latency_ms,
        ttft_ms is not null as is_streamed,
        stream_chunks_received,
        status,
        status = 'error' as is_error,
        error_type,
        coalesce(error_type = 'timeout', false) as is_timeout,
        stop_reason,
        input_usd_per_mtok,
        cached_input_usd_per_mtok,
        output_usd_per_mtok,
        input_cost_usd,
        cached_input_cost_usd,
        output_cost_usd,
        cost_usd,
        cache_savings_usd,
        is_priced,
        price_key,
        price_effective_from,
        negotiated_agreement_id,
        billed_cost_usd,
        (coalesce(routing_strategy = 'cache', false) or coalesce(cached_tokens > 0, false)) as is_cache_hit,
        emitter_estimated_cost_usd,
        is_regenerated,
        is_edited,
        explicit_rating,
        implicit_quality_score,
        query_hash,
        query_topic,
        query_category,
        is_zero_result,
        response_length_chars,
        response_hash
    from requests

)

select * from final
