{{
    config(
        materialized='incremental',
        unique_key='query_hash',
        incremental_strategy='delete+insert',
        on_schema_change='fail'
    )
}}

-- Grain: one row per distinct query (query_hash of the redacted, normalised text) x topic.
-- No query text is kept: the hash groups identical questions. Rates are over the query's
-- successful responses (zero_result_rate) or its thumbs (thumbs_up_rate).
-- Incremental: every query with a call received, or given feedback, within the lookback is
-- recomputed from all its calls.

with

all_requests as (

    select * from {{ ref('fct_llm_requests') }}
    where query_hash is not null

),

feedback as (

    select * from {{ ref('fct_llm_request_feedback') }}

),

{% if is_incremental() %}

    touched as (

        select distinct all_requests.query_hash
        from all_requests
        inner join feedback on all_requests.request_id = feedback.request_id
        where feedback.last_received_at >= {{ incremental_watermark() }}

    ),

    requests as (

        select all_requests.*
        from all_requests
        inner join touched on all_requests.query_hash = touched.query_hash

    ),

{% else %}

    requests as (

        select * from all_requests

    ),

{% endif %}

final as (

    select
        {{ dbt.concat(['requests.query_hash', "'|'", 'requests.query_topic']) }} as query_pattern_id,
        requests.query_hash,
        requests.query_topic,
        cast(count(*) as bigint) as count,
        cast(count(distinct requests.user_id) as bigint) as unique_users,
        min(requests.occurred_at) as first_seen_at,
        max(requests.occurred_at) as last_seen_at,
        cast(avg(requests.total_latency_ms) as {{ type_double() }}) as avg_latency_ms,
        cast(sum(case when requests.is_error then 1 else 0 end) as bigint) as error_count,
        {{ safe_divide(
            'sum(case when requests.is_zero_result then 1 else 0 end)',
            'sum(case when requests.is_error then 0 else 1 end)'
        ) }} as zero_result_rate,
        {{ safe_divide(
            'sum(case when feedback.has_thumbs_up then 1 else 0 end)',
            'sum(case when feedback.has_thumbs_up or feedback.has_thumbs_down then 1 else 0 end)'
        ) }} as thumbs_up_rate,
        max(feedback.last_received_at) as last_received_at
    from requests
    inner join feedback on requests.request_id = feedback.request_id
    group by requests.query_hash, requests.query_topic

)

select * from final
