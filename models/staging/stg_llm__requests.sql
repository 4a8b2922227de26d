{{ config(materialized='table') }}

-- One row per LLM call: deduplicated on event_id (first received wins), typed, renamed,
-- free text redacted and hashed. Raw query and response text do not leave this model.
-- Rows that break the rules stay here with a reject_reason; downstream models keep only
-- rows whose reject_reason is null, and int_rejected_rows keeps the others.

with

source as (

    select * from {{ source('llm', 'llm_requests') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by received_at, occurred_at, response_id
        ) as delivery_rank
    from source

),

deduplicated as (

    -- a missing event_id cannot be deduplicated: such rows are kept (and rejected below)
    select * from ranked
    where delivery_rank = 1 or event_id is null

),

renamed as (

    select
        event_id as request_id,
        schema_version,
        occurred_at,
        received_at,
        tenant_id,
        user_id,
        session_id,
        response_id,
        feature_id,
        lower(user_source) as user_source,
        lower(provider) as provider,
        lower(model_id) as model_id,
        model_version,
        lower(routing_strategy) as routing_strategy,
        temperature,
        prompt_tokens,
        completion_tokens,
        coalesce(cached_tokens, 0) as cached_tokens,
        ttft_ms,
        total_latency_ms,
        stream_chunks_received,
        lower(status) as status,
        lower(error_type) as error_type,
        stop_reason,
        {{ sha256_hex(normalize_query('query_text')) }} as query_hash,
        {{ normalize_query('query_text') }} as query_text_redacted,
        query_category,
        response_length_chars,
        coalesce({{ is_zero_result('response_text') }}, false) as is_zero_result,
        coalesce(user_regenerated, false) as is_regenerated,
        coalesce(user_edited_output, false) as is_edited,
        lower(explicit_rating) as explicit_rating,
        estimated_cost_usd as emitter_estimated_cost_usd
    from deduplicated

),

validated as (

    select
        *,
        case
            when request_id is null then 'missing_event_id'
            when occurred_at is null then 'missing_occurred_at'
            when session_id is null then 'missing_session_id'
            when status is null or status not in ({{ quoted_list(var('accepted_statuses')) }}) then 'unknown_status'
            when prompt_tokens < 0 or completion_tokens < 0 or cached_tokens < 0 then 'negative_tokens'
            when status = 'success' and (prompt_tokens is null or completion_tokens is null)
                then 'missing_token_counts'
            when cached_tokens > prompt_tokens then 'cached_exceeds_prompt_tokens'
            when total_latency_ms < 0 or ttft_ms < 0 then 'negative_latency'
        end as reject_reason
    from renamed

)

select * from validated
