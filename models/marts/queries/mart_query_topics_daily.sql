{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC day x query topic (from the query_topics seed; 'other' when no keyword matched).
-- Incremental: every day with a call loaded, or given feedback, within the lookback is
-- recomputed whole.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

feedback as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_request_feedback') }}

),

requests as (

    {{ incremental_scope('all_requests', 'request_date', [
        touched_via(
            'all_requests', 'request_date', 'request_id', touched('feedback', 'request_id', 'last_loaded_at')
        ),
        incomplete_periods('activity_date'),
    ]) }}

),

final as (

    select
        {{ surrogate_key(['requests.request_date', 'requests.query_topic']) }}
            as topic_day_id,
        requests.request_date as activity_date,
        requests.query_topic,
        cast(count(*) as bigint) as request_count,
        cast(count(distinct requests.user_id) as bigint) as user_count,
        cast(count(distinct requests.query_hash) as bigint) as query_count,
        cast(avg(requests.total_latency_ms) as {{ type_double() }}) as avg_latency_ms,
        {{ safe_divide('sum(case when requests.is_error then 1 else 0 end)', 'count(*)') }} as error_rate,
        {{ safe_divide(
            'sum(case when requests.is_zero_result then 1 else 0 end)',
            'sum(case when requests.is_error then 0 else 1 end)'
        ) }} as zero_result_rate,
        {{ safe_divide(
            'sum(case when feedback.has_thumbs_up then 1 else 0 end)',
            'sum(case when feedback.has_thumbs_up or feedback.has_thumbs_down then 1 else 0 end)'
        ) }} as thumbs_up_rate,
        cast(coalesce(sum(requests.cost_usd), 0) as {{ type_double() }}) as cost_usd,
        {{ is_complete_period('requests.request_date', 'day') }} as is_complete_period,
        max(feedback.last_loaded_at) as last_loaded_at
    from requests
    inner join feedback on requests.request_id = feedback.request_id
    group by requests.request_date, requests.query_topic

)

select * from final
