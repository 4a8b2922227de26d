{{
    config(
        materialized='incremental',
        unique_key='activity_hour',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC hour x provider x model x latency bucket with at least one call.
-- Incremental: every hour with a call loaded within the lookback is recomputed whole.
-- Buckets are log-scale: bucket b holds latencies in [g^b, g^(b+1)) ms with g = var
-- latency_histogram_growth (1.05: every bucket at most 5% wide; latencies under 1 ms fall in
-- bucket 0). Counts add up across rows, so a BI tool gets any percentile over any span:
--   1. sum request_count per bucket_index over the rows you want (hours, models, ...);
--   2. order by bucket_index and take the running sum;
--   3. the p-th percentile lies in the first bucket whose running sum >= p x total; report its
--      bucket_upper_ms (an over-estimate by at most 5%) or interpolate within the bucket.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

requests as (

    {{ incremental_scope('all_requests', 'request_hour', touched('all_requests', 'request_hour')) }}

),

bucketed as (

    select
        request_hour,
        provider,
        model_id,
        loaded_at,
        cast(floor(
            ln(case when total_latency_ms < 1 then 1 else total_latency_ms end)
            / ln({{ var('latency_histogram_growth') }})
        ) as integer) as bucket_index
    from requests
    where total_latency_ms is not null

),

final as (

    select
        {{ surrogate_key(['request_hour', 'provider', 'model_id', 'bucket_index']) }} as histogram_bucket_id,
        request_hour as activity_hour,
        provider,
        model_id,
        bucket_index,
        cast(power({{ var('latency_histogram_growth') }}, bucket_index) as {{ type_double() }}) as bucket_lower_ms,
        cast(power({{ var('latency_histogram_growth') }}, bucket_index + 1) as {{ type_double() }}) as bucket_upper_ms,
        cast(count(*) as bigint) as request_count,
        max(loaded_at) as last_loaded_at
    from bucketed
    group by request_hour, provider, model_id, bucket_index

)

select * from final
