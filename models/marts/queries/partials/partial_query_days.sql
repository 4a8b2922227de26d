{{
    config(
        materialized='incremental',
        unique_key='request_date',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Additive partial aggregates of each distinct query (query_hash) per UTC day, so the all-time
-- mart_query_patterns sums a few rows per query instead of re-reading every call: popular
-- queries get new calls every hour, so rebuilding the queries touched is rebuilding them all.
-- Grain: one row per query_hash x request_date. Incremental: every day with a call loaded, or
-- given feedback, within the lookback is recomputed whole.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}
    where query_hash is not null

),

feedback as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_request_feedback') }}

),

requests as (

    {{ incremental_scope('all_requests', 'request_date', touched_via(
        'all_requests', 'request_date', 'request_id', touched('feedback', 'request_id', 'last_loaded_at')
    )) }}

),

final as (

    select
        requests.query_hash,
        requests.request_date,
        min(requests.query_topic) as query_topic,
        cast(count(*) as bigint) as calls,
        cast(sum(case when requests.is_error then 1 else 0 end) as bigint) as error_count,
        cast(sum(case when requests.is_error then 0 else 1 end) as bigint) as responses,
        cast(sum(case when requests.is_zero_result then 1 else 0 end) as bigint) as zero_results,
        cast(sum(case when feedback.has_thumbs_up then 1 else 0 end) as bigint) as thumbs_up,
        cast(sum(case when feedback.has_thumbs_up or feedback.has_thumbs_down then 1 else 0 end) as bigint)
            as thumbs_rated,
        cast(sum(requests.total_latency_ms) as {{ type_double() }}) as latency_sum_ms,
        cast(count(requests.total_latency_ms) as bigint) as latency_count,
        min(requests.occurred_at) as first_seen_at,
        max(requests.occurred_at) as last_seen_at,
        max(feedback.last_loaded_at) as last_loaded_at
    from requests
    inner join feedback on requests.request_id = feedback.request_id
    group by requests.query_hash, requests.request_date

)

select * from final
