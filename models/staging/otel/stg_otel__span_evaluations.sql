{{
    config(
        materialized='incremental',
        unique_key='span_evaluation_key',
        meta={'recent_column': 'loaded_at'}
    )
}}

-- One row per evaluation event (var otel_evaluation_events) among the span events of
-- raw.otel_spans: the events column unnested, the facts read from each event's attributes (var
-- otel_evaluation_keys). The span holding the event is the evaluated one. The rest of the span is
-- stg_otel__spans; the explanation (free text) stays in raw, only has_explanation leaves.
-- Spans are deduplicated as in stg_otel__spans (the first loaded copy wins).
-- Incremental: the spans loaded since the watermark whose events are not staged yet.

{%- set keys = var('otel_evaluation_keys') %}
{%- set has_event = {'conditions': []} %}
{%- for name in var('otel_evaluation_events') %}
    {%- do has_event.conditions.append(dbt.position("'\"" ~ name ~ "\"'", 'events') ~ ' > 0') %}
{%- endfor %}

with

source as (

    select * from {{ source('otel', 'otel_spans') }}

),

scoped as (

    {{ loaded_rows('source') }}

),

ranked as (

    select
        trace_id,
        span_id,
        events,
        _loaded_at,
        _load_id,
        row_number() over (
            partition by trace_id, span_id
            order by _loaded_at asc, _load_id asc, end_time_unix_nano desc, attributes asc
        ) as copy_rank
    from scoped

),

span_events as (

    select
        lower(trace_id) as trace_id,
        lower(span_id) as span_id,
        _loaded_at,
        _load_id,
        {{ json_array_elements(json_parse('events')) }} as span_event
    from ranked
    -- only the first copy of a span, and only if it holds an evaluation event, is unnested
    where copy_rank = 1 and ({{ has_event.conditions | join(' or ') }})

),

evaluations as (

    select
        trace_id,
        span_id,
        _loaded_at,
        _load_id,
        {{ text_as_bigint(json_key_text('span_event', 'time_unix_nano')) }} as time_unix_nano,
        {{ json_parse(json_key_text('span_event', 'attributes')) }} as attrs
    from span_events
    where {{ json_key_text('span_event', 'name') }} in ({{ quoted_list(var('otel_evaluation_events')) }})

),

facts as (

    select
        trace_id,
        span_id,
        time_unix_nano,
        _loaded_at as loaded_at,
        _load_id as load_id,
        {{ json_first_key_text('attrs', keys.score_name) }} as evaluation_name,
        {{ text_as_double(json_first_key_text('attrs', keys.score_value)) }} as evaluation_score_value,
        {{ json_first_key_text('attrs', keys.score_label) }} as evaluation_score_label,
        {{ json_first_key_text('attrs', keys.evaluator) }} as evaluator,
        {{ json_first_key_text('attrs', keys.source) }} as evaluation_source,
        coalesce({{ json_first_key_text('attrs', keys.explanation) }} <> '', false) as has_explanation
    from evaluations

),

keyed as (

    select
        {{ dbt.hash(surrogate_key([
            'trace_id', 'span_id',
            "coalesce(cast(time_unix_nano as " ~ dbt.type_string() ~ "), '')",
            "coalesce(evaluation_name, '')", "coalesce(evaluation_source, '')", "coalesce(evaluator, '')",
        ])) }} as span_evaluation_key,
        facts.*,
        {{ unix_nano_to_timestamp('time_unix_nano') }} as evaluated_at
    from facts

),

final as (

    -- two identical events on one span are one score
    {{ deduplicate_first('keyed', 'span_evaluation_key', 'loaded_at') }}

)

select
    span_evaluation_key,
    trace_id,
    span_id,
    {{ dbt.concat(['trace_id', "':'", 'span_id']) }} as span_key,
    time_unix_nano,
    evaluated_at,
    loaded_at,
    load_id,
    evaluation_name,
    evaluation_score_value,
    evaluation_score_label,
    evaluator,
    evaluation_source,
    has_explanation
from final
{%- if is_incremental() %}
where not exists (
    select 1 from {{ this }} as staged where staged.span_evaluation_key = final.span_evaluation_key
)
{%- endif %}
