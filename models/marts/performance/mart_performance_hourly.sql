{{
    config(
        materialized='incremental',
        unique_key='activity_hour',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC hour x provider x model with traffic. Percentiles are exact per row
-- (continuous interpolation over that row's calls): never average them across rows; use
-- mart_latency_histogram to get a percentile over any span. Incremental: every hour with a call
-- loaded within the lookback is recomputed whole.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

requests as (

    {{ incremental_scope('all_requests', 'request_hour', touched('all_requests', 'request_hour')) }}

),

aggregated as (

    select
        request_hour,
        provider,
        model_id,
        count(*) as request_count,
        {{ percentile_cont('total_latency_ms', 0.5) }} as latency_p50_ms,
        {{ percentile_cont('total_latency_ms', 0.95) }} as latency_p95_ms,
        {{ percentile_cont('total_latency_ms', 0.99) }} as latency_p99_ms,
        {{ percentile_cont('ttft_ms', 0.5) }} as ttft_p50_ms,
        {{ percentile_cont('ttft_ms', 0.95) }} as ttft_p95_ms,
        sum(case when is_error then 1 else 0 end) as error_count,
        sum(case when is_timeout then 1 else 0 end) as timed_out_count,
        max(loaded_at) as last_loaded_at,
        {%- for error_type in var('error_types') %}
            sum(case when error_type = '{{ error_type }}' then 1 else 0 end) as {{ error_type }}_count
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from requests
    group by request_hour, provider, model_id

),

final as (

    select
        {{ surrogate_key(['request_hour', 'provider', 'model_id']) }}
            as performance_hour_id,
        request_hour as activity_hour,
        provider,
        model_id,
        cast(request_count as bigint) as request_count,
        cast(request_count as {{ type_double() }}) / 3600 as throughput_rps,
        cast(latency_p50_ms as {{ type_double() }}) as latency_p50_ms,
        cast(latency_p95_ms as {{ type_double() }}) as latency_p95_ms,
        cast(latency_p99_ms as {{ type_double() }}) as latency_p99_ms,
        cast(ttft_p50_ms as {{ type_double() }}) as ttft_p50_ms,
        cast(ttft_p95_ms as {{ type_double() }}) as ttft_p95_ms,
        cast(error_count as bigint) as error_count,
        {{ safe_divide('error_count', 'request_count') }} as error_rate,
        {{ safe_divide('timed_out_count', 'request_count') }} as timeout_rate,
        last_loaded_at,
        {%- for error_type in var('error_types') %}
            cast({{ error_type }}_count as bigint) as {{ error_type }}_count
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from aggregated

)

select * from final
