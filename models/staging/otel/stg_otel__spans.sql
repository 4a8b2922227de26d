{{
    config(
        materialized='incremental',
        unique_key='span_key',
        meta={'recent_column': 'loaded_at'}
    )
}}

-- One row per OpenTelemetry span, LLM or not: deduplicated on trace and span id (the first
-- loaded copy wins: a Collector that retries an export writes a span twice), typed, with the
-- GenAI facts read from its attributes by the precedence of var otel_attribute_keys. The
-- attribute maps themselves, which hold prompt and response text when content capture is on,
-- stay in raw: only the facts below leave it, and the free-text status message is redacted.
-- Incremental: the spans loaded since the watermark whose key is not staged yet.

{%- set keys = var('otel_attribute_keys') %}

with

source as (

    select * from {{ source('otel', 'otel_spans') }}

),

scoped as (

    {{ loaded_rows('source') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by trace_id, span_id
            order by _loaded_at asc, _load_id asc, end_time_unix_nano desc, attributes asc
        ) as copy_rank
    from scoped

),

first_copies as (

    select ranked.*
    from ranked
    where
        ranked.copy_rank = 1
    {%- if is_incremental() %}
        and not exists (
            select 1 from {{ this }} as staged
            where staged.trace_id = lower(ranked.trace_id) and staged.span_id = lower(ranked.span_id)
        )
        {%- endif %}

),

parsed as (

    select
        *,
        {{ json_parse('attributes') }} as attrs,
        {{ json_parse('resource_attributes') }} as resource_attrs,
        {{ json_parse('events') }} as span_events
    from first_copies

),

facts as (

    select
        lower(trace_id) as trace_id,
        lower(span_id) as span_id,
        lower({{ blank_as_null('parent_span_id') }}) as parent_span_id,
        span_name,
        span_kind,
        status_code,
        {{ redact_pii('status_message') }} as status_message_redacted,
        scope_name,
        scope_version,
        started_at,
        ended_at,
        start_time_unix_nano,
        end_time_unix_nano,
        _loaded_at as loaded_at,
        _load_id as load_id,
        lower({{ json_first_key_text('attrs', keys.operation) }}) as operation_name,
        upper({{ json_key_text('attrs', 'openinference.span.kind') }}) as openinference_span_kind,
        lower({{ json_first_key_text('attrs', keys.provider) }}) as provider_name,
        {{ json_parse(json_first_key_text('attrs', keys.invocation_parameters)) }} as invocation_parameters,
        {{ json_first_key_text('attrs', keys.request_model) }} as request_model_attribute,
        lower({{ json_first_key_text('attrs', keys.response_model) }}) as response_model,
        {{ text_as_bigint(json_first_key_text('attrs', keys.input_tokens)) }} as input_tokens,
        {{ text_as_bigint(json_first_key_text('attrs', keys.output_tokens)) }} as output_tokens,
        {{ text_as_bigint(json_first_key_text('attrs', keys.cached_input_tokens)) }} as cached_input_tokens,
        {{ text_as_boolean(json_first_key_text('attrs', keys.streaming)) }} as is_streaming_attribute,
        {{ text_as_double(json_first_key_text('attrs', keys.ttft_seconds)) }} as ttft_seconds_attribute,
        {{ span_events_value('span_events', var('otel_first_chunk_events'), 'first_time') }}
            as first_chunk_unix_nano,
        {{ json_first_key_text('attrs', keys.finish_reason) }} as finish_reasons,
        {{ json_first_key_text('attrs', keys.response_id) }} as response_id,
        {{ text_as_double(json_first_key_text('attrs', keys.temperature)) }} as temperature_attribute,
        {{ text_as_double(json_first_key_text('attrs', keys.emitter_cost_usd)) }} as emitter_estimated_cost_usd,
        {{ json_first_key_text('attrs', keys.error_type) }} as error_type_attribute,
        {{ span_events_value('span_events', ['exception'], 'exception.type') }} as exception_type,
        {{ json_first_key_text('attrs', var('otel_session_keys')) }} as session_key,
        {{ json_first_key_text('attrs', var('otel_user_keys')) }} as user_key,
        {{ json_first_key_text('attrs', var('otel_tenant_keys')) }} as tenant_key,
        {{ json_first_key_text('attrs', var('otel_feature_keys')) }} as feature_key,
        {{ json_first_key_text('resource_attrs', var('otel_session_keys')) }} as resource_session_key,
        {{ json_first_key_text('resource_attrs', var('otel_user_keys')) }} as resource_user_key,
        {{ json_first_key_text('resource_attrs', var('otel_tenant_keys')) }} as resource_tenant_key,
        {{ json_first_key_text('resource_attrs', var('otel_feature_keys')) }} as resource_feature_key
    from parsed

),

final as (

    select
        {{ dbt.concat(['trace_id', "':'", 'span_id']) }} as span_key,
        trace_id,
        span_id,
        parent_span_id,
        parent_span_id is null as is_root,
        span_name,
        span_kind,
        status_code,
        status_message_redacted,
        scope_name,
        scope_version,
        started_at,
        ended_at,
        -- exact to the nanosecond where both ends are known
        case
            when end_time_unix_nano >= start_time_unix_nano
                then cast(end_time_unix_nano - start_time_unix_nano as {{ type_double() }}) / 1000000.0
        end as duration_ms,
        loaded_at,
        load_id,
        coalesce(
            operation_name in ({{ quoted_list(var('otel_llm_operations')) }})
            or openinference_span_kind in ({{ quoted_list(var('otel_llm_span_kinds')) }}),
            false
        ) as is_llm_call,
        operation_name,
        provider_name,
        lower(coalesce(
            request_model_attribute,
            {{ json_key_text('invocation_parameters', 'model') }}
        )) as request_model,
        response_model,
        input_tokens,
        output_tokens,
        cached_input_tokens,
        coalesce(
            is_streaming_attribute,
            {{ text_as_boolean(json_key_text('invocation_parameters', 'stream')) }}
        ) as is_streaming,
        ttft_seconds_attribute,
        case
            when first_chunk_unix_nano >= start_time_unix_nano
                then cast(first_chunk_unix_nano - start_time_unix_nano as {{ type_double() }}) / 1000000.0
        end as first_chunk_ms,
        finish_reasons,
        response_id,
        coalesce(
            temperature_attribute,
            {{ text_as_double(json_key_text('invocation_parameters', 'temperature')) }}
        ) as temperature,
        emitter_estimated_cost_usd,
        error_type_attribute,
        exception_type,
        {{ blank_as_null('session_key') }} as session_key,
        {{ blank_as_null('user_key') }} as user_key,
        {{ blank_as_null('tenant_key') }} as tenant_key,
        {{ blank_as_null('feature_key') }} as feature_key,
        {{ blank_as_null('resource_session_key') }} as resource_session_key,
        {{ blank_as_null('resource_user_key') }} as resource_user_key,
        {{ blank_as_null('resource_tenant_key') }} as resource_tenant_key,
        {{ blank_as_null('resource_feature_key') }} as resource_feature_key
    from facts

)

select * from final
