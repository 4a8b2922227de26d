{{
    config(
        materialized='incremental',
        unique_key='staging_row_id',
        meta={'recent_column': 'loaded_at'}
    )
}}

-- One row per LLM call: deduplicated on event_id (first received wins), typed, renamed,
-- free text redacted and hashed (the response only as response_hash). Raw query and response
-- text do not leave this model.
-- Rows that break the rules stay here with a reject_reason; downstream models keep only
-- rows whose reject_reason is null, and int_rejected_rows keeps the others.
-- Incremental: events whose event_id was received again within the lookback are re-ranked
-- against every copy of that event_id, so the first received copy still wins.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

source as (

    select * from {{ source('llm', 'llm_requests') }}

),

-- the rows this run stages, the first received copy of each event (a row without an event_id is
-- keyed by its content), received_at clamped to the load (docs/loading.md)
deduplicated as (

    {{ first_received_events('source', [
        'occurred_at', 'received_at', 'session_id', 'user_id', 'response_id', 'model_id', 'query_text'
    ], ['response_id']) }}

),

queries as (

    -- redact and hash each distinct text once, not once per call
    select
        query_text,
        {{ normalize_query('query_text') }} as query_text_redacted
    from (select distinct query_text from deduplicated) as distinct_queries

),

responses as (

    select
        response_text,
        coalesce({{ is_zero_result('response_text') }}, false) as is_zero_result,
        -- equal for texts that differ only in case and whitespace; null without text
        {{ sha256_hex(normalize_response('response_text')) }} as response_hash
    from (select distinct response_text from deduplicated) as distinct_responses

),

renamed as (

    select
        deduplicated.staging_row_id,
        {{ blank_as_null('deduplicated.event_id') }} as request_id,
        deduplicated.schema_version,
        deduplicated.occurred_at,
        deduplicated.clamped_received_at as received_at,
        deduplicated._loaded_at as loaded_at,
        deduplicated._load_id as load_id,
        deduplicated.tenant_id,
        {{ blank_as_null('deduplicated.user_id') }} as user_id,
        {{ blank_as_null('deduplicated.session_id') }} as session_id,
        deduplicated.response_id,
        deduplicated.feature_id,
        lower(deduplicated.user_source) as user_source,
        lower(deduplicated.provider) as provider,
        lower(deduplicated.model_id) as model_id,
        deduplicated.model_version,
        lower(deduplicated.routing_strategy) as routing_strategy,
        deduplicated.temperature,
        deduplicated.prompt_tokens,
        deduplicated.completion_tokens,
        coalesce(deduplicated.cached_tokens, 0) as cached_tokens,
        deduplicated.ttft_ms,
        deduplicated.total_latency_ms,
        deduplicated.stream_chunks_received,
        lower(deduplicated.status) as status,
        lower(deduplicated.error_type) as error_type,
        deduplicated.stop_reason,
        {{ sha256_hex('queries.query_text_redacted') }} as query_hash,
        queries.query_text_redacted,
        deduplicated.query_category,
        deduplicated.response_length_chars,
        responses.response_hash,
        coalesce(responses.is_zero_result, false) as is_zero_result,
        coalesce(deduplicated.user_regenerated, false) as is_regenerated,
        coalesce(deduplicated.user_edited_output, false) as is_edited,
        lower(deduplicated.explicit_rating) as explicit_rating,
        deduplicated.estimated_cost_usd as emitter_estimated_cost_usd
    from deduplicated
    left join queries on deduplicated.query_text = queries.query_text
    left join responses on deduplicated.response_text = responses.response_text

),

validated as (

    select
        *,
        {{ request_reject_reason() }} as reject_reason
    from renamed

)

select * from validated
