{{
    config(
        materialized='incremental',
        unique_key='request_id',
        meta={'recent_column': 'loaded_at'}
    )
}}

-- One row per LLM call found in OpenTelemetry spans (a GenAI span, or an OpenInference LLM
-- span), in the columns of stg_llm__requests, so telemetry flows through the same facts as the
-- application's own events (docs/telemetry.md):
-- - request_id is "<trace id>:<span id>"; occurred_at the span start; total_latency_ms its
--   duration; ttft_ms the instrumentation's attribute on a streamed call, else the first
--   streamed-chunk event, else null;
-- - session, user, tenant and feature: the first key of their var list on the span, then on its
--   parent and so on up to the root (var otel_max_ancestor_depth levels), then on the resource;
--   a call with no session gets "trace:<trace id>";
-- - errors (status ERROR) mapped onto the error types by the otel_error_types seed (the
--   original in error_type_original); providers named as genai-prices names them
--   (otel_provider_names seed).
-- A trace's calls are counted once the trace is settled: its root span loaded, or a load var
-- otel_trace_settle_minutes after its newest span (a root in another service never comes).
-- loaded_at is the load that settled it. Incremental: every trace with a span loaded since the
-- watermark minus the settle time is rebuilt whole.

{%- set depth = var('otel_max_ancestor_depth') %}
{%- set settle = var('otel_trace_settle_minutes') %}
{%- set since = dbt.dateadd('minute', -settle, incremental_watermark()) if is_incremental() else none %}

with

all_spans as {{ not_materialized() }} (

    select * from {{ ref('stg_otel__spans') }}

),

provider_names as (

    select * from {{ ref('otel_provider_names') }}

),

error_types as (

    select * from {{ ref('otel_error_types') }}

),

spans as (

    {{ incremental_scope(
        'all_spans', 'trace_id',
        'select trace_id from all_spans as recent_spans where recent_spans.loaded_at > ' ~ since
    ) }}

),

-- the load times of telemetry (a settled trace's calls carry the load that settled it)
otel_loads as (

    select
        loaded_at,
        min(load_id) as load_id
    from all_spans
    {%- if is_incremental() %}
    where loaded_at > {{ since }}
    {%- endif %}
    group by loaded_at

),

traces as (

    select
        trace_id,
        max(loaded_at) as newest_loaded_at,
        {{ dbt.bool_or('is_root') }} as has_root
    from spans
    group by trace_id

),

settled as (

    select
        traces.trace_id,
        case
            when traces.has_root then traces.newest_loaded_at
            else (
                select min(otel_loads.loaded_at) from otel_loads
                where otel_loads.loaded_at >= {{ dbt.dateadd('minute', settle, 'traces.newest_loaded_at') }}
            )
        end as settled_at
    from traces

),

lineage as (

    select
        calls.*,
        settled.settled_at,
        {%- for fact in ['session', 'user', 'tenant', 'feature'] %}
            coalesce(
                calls.{{ fact }}_key,
                {%- for level in range(1, depth + 1) %}
                    ancestor_{{ level }}.{{ fact }}_key,
                {%- endfor %}
                calls.resource_{{ fact }}_key
            ) as {{ fact }}_found{% if not loop.last %},{% endif %}
        {%- endfor %}
    from spans as calls
    inner join settled
        on calls.trace_id = settled.trace_id
    {%- for level in range(1, depth + 1) %}
        left join spans as ancestor_{{ level }}
            on
                calls.trace_id = ancestor_{{ level }}.trace_id
                and {{ 'calls' if level == 1 else 'ancestor_' ~ (level - 1) }}.parent_span_id
                = ancestor_{{ level }}.span_id
    {%- endfor %}
    where calls.is_llm_call and settled.settled_at is not null

),

error_texts as (

    -- the error's type names first, then the status message (a provider's "Error code: 429")
    select
        span_key,
        1 as text_rank,
        lower({{ dbt.concat(["coalesce(error_type_attribute, '')", "' '", "coalesce(exception_type, '')"]) }})
            as error_text
    from lineage
    where status_code = 'error'
    union all
    select
        span_key,
        2 as text_rank,
        lower(status_message_redacted) as error_text
    from lineage
    where status_code = 'error' and status_message_redacted is not null

),

error_matches as (

    select
        error_texts.span_key,
        error_types.error_type,
        row_number() over (
            partition by error_texts.span_key
            order by error_texts.text_rank, error_types.priority, error_types.match_pattern
        ) as match_rank
    from error_texts
    inner join error_types on error_texts.error_text like error_types.match_pattern

),

mapped as (

    select
        lineage.span_key as staging_row_id,
        lineage.span_key as request_id,
        {{ dbt.concat(["'otel:'", "coalesce(lineage.scope_name, '')", "'@'", "coalesce(lineage.scope_version, '')"]) }}
            as schema_version,
        lineage.started_at as occurred_at,
        lineage.loaded_at as received_at,
        lineage.settled_at as loaded_at,
        otel_loads.load_id,
        lineage.tenant_found as tenant_id,
        lineage.user_found as user_id,
        coalesce(lineage.session_found, {{ dbt.concat(["'trace:'", 'lineage.trace_id']) }}) as session_id,
        lineage.response_id,
        lineage.feature_found as feature_id,
        cast(null as {{ dbt.type_string() }}) as user_source,
        coalesce(provider_names.provider, lineage.provider_name) as provider,
        coalesce(lineage.request_model, lineage.response_model) as model_id,
        lineage.response_model as model_version,
        cast(null as {{ dbt.type_string() }}) as routing_strategy,
        lineage.temperature,
        lineage.input_tokens as prompt_tokens,
        lineage.output_tokens as completion_tokens,
        coalesce(lineage.cached_input_tokens, 0) as cached_tokens,
        case
            when lineage.is_streaming = false then null
            when lineage.ttft_seconds_attribute is not null then lineage.ttft_seconds_attribute * 1000.0
            else lineage.first_chunk_ms
        end as ttft_ms,
        lineage.duration_ms as total_latency_ms,
        cast(null as bigint) as stream_chunks_received,
        case when lineage.status_code = 'error' then 'error' else 'success' end as status,
        case
            when lineage.status_code = 'error' then coalesce(error_matches.error_type, 'invalid_response')
        end as error_type,
        {{ regexp_replace_all('lineage.finish_reasons', '^\\[\\s*"?([^",\\]]*)"?.*$', '\\1') }} as stop_reason,
        cast(null as {{ dbt.type_string() }}) as query_hash,
        cast(null as {{ dbt.type_string() }}) as query_text_redacted,
        cast(null as {{ dbt.type_string() }}) as query_category,
        cast(null as bigint) as response_length_chars,
        -- spans carry no response text
        cast(null as {{ dbt.type_string() }}) as response_hash,
        false as is_zero_result,
        false as is_regenerated,
        false as is_edited,
        cast(null as {{ dbt.type_string() }}) as explicit_rating,
        lineage.emitter_estimated_cost_usd,
        case
            when lineage.status_code = 'error'
                then coalesce(lineage.error_type_attribute, lineage.exception_type, lineage.status_message_redacted)
        end as error_type_original,
        lineage.trace_id,
        lineage.span_id
    from lineage
    left join otel_loads on lineage.settled_at = otel_loads.loaded_at
    left join provider_names on lineage.provider_name = provider_names.otel_provider
    left join error_matches
        on lineage.span_key = error_matches.span_key and error_matches.match_rank = 1

),

validated as (

    select
        *,
        {{ request_reject_reason(tokens_required=false) }} as reject_reason
    from mapped

)

select * from validated
