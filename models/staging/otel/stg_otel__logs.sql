{{
    config(
        materialized='incremental',
        unique_key='log_key',
        meta={'recent_column': 'loaded_at'}
    )
}}

-- One row per OpenTelemetry log record: deduplicated on its content (the first loaded copy wins:
-- a Collector that retries an export writes a record twice), typed, with the facts of an
-- evaluation event (var otel_evaluation_events, attributes by var otel_evaluation_keys) read from
-- its attributes. The body and the attribute maps, which hold prompt and response text when
-- content capture is on (gen_ai.user.message, gen_ai.choice), stay in raw; so does an
-- evaluation's free-text explanation (only has_explanation leaves).
-- Incremental: the records loaded since the watermark whose key is not staged yet.

{%- set keys = var('otel_evaluation_keys') %}

with

source as (

    select * from {{ source('otel', 'otel_logs') }}

),

scoped as (

    {{ loaded_rows('source') }}

),

keyed as (

    select
        *,
        -- no id in OTLP logs: a record is its trace and span, its times, its name and attributes
        {{ dbt.hash(surrogate_key([
            "coalesce(lower(trace_id), '')", "coalesce(lower(span_id), '')",
            "coalesce(cast(time_unix_nano as " ~ dbt.type_string() ~ "), '')",
            "coalesce(cast(observed_time_unix_nano as " ~ dbt.type_string() ~ "), '')",
            "coalesce(event_name, '')", "coalesce(attributes, '')", "coalesce(body, '')",
        ])) }} as log_key
    from scoped

),

ranked as (

    select
        *,
        row_number() over (partition by log_key order by _loaded_at asc, _load_id asc) as copy_rank
    from keyed

),

first_copies as (

    select ranked.*
    from ranked
    where
        ranked.copy_rank = 1
    {%- if is_incremental() %}
        and not exists (select 1 from {{ this }} as staged where staged.log_key = ranked.log_key)
        {%- endif %}

),

parsed as (

    select
        *,
        event_name in ({{ quoted_list(var('otel_evaluation_events')) }}) as is_evaluation,
        {{ json_parse('attributes') }} as attrs
    from first_copies

),

final as (

    select
        log_key,
        lower({{ blank_as_null('trace_id') }}) as trace_id,
        lower({{ blank_as_null('span_id') }}) as span_id,
        logged_at,
        severity_number,
        severity_text,
        event_name,
        scope_name,
        scope_version,
        _loaded_at as loaded_at,
        _load_id as load_id,
        coalesce(is_evaluation, false) as is_evaluation,
        case when is_evaluation then {{ json_first_key_text('attrs', keys.score_name) }} end as evaluation_name,
        case when is_evaluation then {{ text_as_double(json_first_key_text('attrs', keys.score_value)) }} end
            as evaluation_score_value,
        case when is_evaluation then {{ json_first_key_text('attrs', keys.score_label) }} end
            as evaluation_score_label,
        case when is_evaluation then {{ json_first_key_text('attrs', keys.evaluator) }} end as evaluator,
        case when is_evaluation then {{ json_first_key_text('attrs', keys.source) }} end as evaluation_source,
        coalesce(is_evaluation and {{ json_first_key_text('attrs', keys.explanation) }} <> '', false)
            as has_explanation
    from parsed

)

select * from final
