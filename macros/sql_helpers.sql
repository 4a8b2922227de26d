{#- A list of values as a quoted SQL list for `in (...)`: ['a', 'b'] -> 'a', 'b'. -#}
{% macro quoted_list(values) -%}
    {%- for v in values -%}'{{ v | replace("'", "''") }}'{%- if not loop.last %}, {% endif -%}{%- endfor -%}
{%- endmacro %}

{#- The value of a one-value query, inlined as a `type` literal (`when_null` if it is null).
    Why a literal: the value is looked up before the model's query runs and inlined as a
    constant, so the engine can skip storage blocks by their min/max and read the other columns
    of the matching rows only. Compared with a scalar subquery, DuckDB read every column of every
    raw row (the staging of 10M calls took 18 s instead of 2). At parse time (no database) it is
    the scalar subquery itself. -#}
{% macro scalar_literal(query, type, when_null) -%}
    {%- if not execute -%}
        ({{ query }})
    {%- else -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
        cast('{{ value if value is not none else when_null }}' as {{ type }})
    {%- endif -%}
{%- endmacro %}

{#- The first row of each key by `order_by` (rows with a null key are all kept), with its
    delivery_rank (always 1). -#}
{% macro deduplicate_first(relation, key, order_by) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ key }} order by {{ order_by }}) as delivery_rank
        from {{ relation }}
    ) as ranked
    where delivery_rank = 1 or {{ key }} is null
{%- endmacro %}

{#- A row key from several columns: their text joined by '|' (null if any part is null, which the
    key's not_null test catches). The same strings the marts always had, so ids do not change. -#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append(dbt.cast(column, dbt.type_string())) -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{#- The staging key of a raw event: its event_id (blank counts as missing), or, when it has none,
    'missing-event-id:' and a hash of the row's other columns, so an anonymous row without an id
    still has a key (each part coalesced: one null part would null the whole hash). Identical
    rows without an id get the same key, and are deduplicated as redeliveries. -#}
{% macro staging_row_id(event_id, columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append('coalesce(' ~ dbt.cast(column, dbt.type_string()) ~ ", '')") -%}
    {%- endfor -%}
    coalesce({{ blank_as_null(event_id) }}, {{ dbt.concat(["'missing-event-id:'", dbt.hash(dbt.concat(parts))]) }})
{%- endmacro %}

{#- A text id with blanks (empty or only spaces) read as missing, surrounding spaces dropped. -#}
{% macro blank_as_null(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}

{#- True for NaN and +/-infinity: x - x is 0 for every finite x and NaN otherwise, on every engine
    (PostgreSQL and DuckDB order NaN above every number, so a range check alone misses it). -#}
{% macro is_non_finite(expr) -%}
    ({{ expr }} is not null and not ({{ expr }} - {{ expr }} = 0))
{%- endmacro %}

{#- Why a call breaks the rules (the reject_reason of a staged or mapped call), or null: the one
    list of rules for every source of calls, over the columns of stg_llm__requests. With
    tokens_required=false (telemetry: a stream without usage has none), a successful call without
    token counts is kept, unpriced. -#}
{% macro request_reject_reason(tokens_required=true) -%}
case
    when request_id is null then 'missing_event_id'
    when occurred_at is null then 'missing_occurred_at'
    when occurred_at < cast('{{ var("earliest_occurred_at") }}' as timestamp) then 'occurred_too_early'
    when session_id is null then 'missing_session_id'
    when status is null or status not in ({{ quoted_list(var('accepted_statuses')) }}) then 'unknown_status'
    when occurred_at > {{ dbt.dateadd('minute', var('clock_skew_tolerance_minutes'), 'received_at') }}
        then 'occurred_in_future'
    when prompt_tokens < 0 or completion_tokens < 0 or cached_tokens < 0 then 'negative_tokens'
    when
        prompt_tokens > {{ var('max_tokens_per_call') }}
        or completion_tokens > {{ var('max_tokens_per_call') }}
        then 'tokens_out_of_range'
    {%- if tokens_required %}
    when status = 'success' and (prompt_tokens is null or completion_tokens is null)
        then 'missing_token_counts'
    {%- endif %}
    when cached_tokens > prompt_tokens then 'cached_exceeds_prompt_tokens'
    when
        {{ is_non_finite('total_latency_ms') }} or {{ is_non_finite('ttft_ms') }}
        or {{ is_non_finite('temperature') }} or {{ is_non_finite('emitter_estimated_cost_usd') }}
        then 'non_finite_number'
    when total_latency_ms is null then 'missing_latency'
    when total_latency_ms < 0 or ttft_ms < 0 then 'negative_latency'
    when total_latency_ms > {{ var('max_latency_ms') }} or ttft_ms > {{ var('max_latency_ms') }}
        then 'latency_out_of_range'
end
{%- endmacro %}

{#- The columns of a call as stg_llm__requests stages it: what every source of calls maps to
    (int_llm_requests unites them in this order). -#}
{% macro request_columns() -%}
    {{- return([
        'staging_row_id',
        'request_id',
        'schema_version',
        'occurred_at',
        'received_at',
        'loaded_at',
        'load_id',
        'tenant_id',
        'user_id',
        'session_id',
        'response_id',
        'feature_id',
        'user_source',
        'provider',
        'model_id',
        'model_version',
        'routing_strategy',
        'temperature',
        'prompt_tokens',
        'completion_tokens',
        'cached_tokens',
        'ttft_ms',
        'total_latency_ms',
        'stream_chunks_received',
        'status',
        'error_type',
        'stop_reason',
        'query_hash',
        'query_text_redacted',
        'query_category',
        'response_length_chars',
        'response_hash',
        'is_zero_result',
        'is_regenerated',
        'is_edited',
        'explicit_rating',
        'emitter_estimated_cost_usd',
        'reject_reason'
    ]) -}}
{%- endmacro %}
