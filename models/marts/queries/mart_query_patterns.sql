-- Grain: one row per distinct query (query_hash of the redacted, normalised text) x topic.
-- No query text is kept: the hash groups identical questions. Rates are over the query's
-- successful responses (zero_result_rate) or its thumbs (thumbs_up_rate).
-- Built from additive per-day partials (partial_query_days) and the query x user pairs
-- (partial_query_users), both incremental, so a run reads a few rows per query, not every call.

with

days as (

    select * from {{ ref('partial_query_days') }}

),

users as (

    select
        query_hash,
        count(*) as user_count
    from {{ ref('partial_query_users') }}
    group by query_hash

),

queries as (

    select
        query_hash,
        min(query_topic) as query_topic,
        sum(calls) as calls,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        sum(latency_sum_ms) as latency_sum_ms,
        sum(latency_count) as latency_count,
        sum(error_count) as error_count,
        sum(responses) as responses,
        sum(zero_results) as zero_results,
        sum(thumbs_up) as thumbs_up,
        sum(thumbs_rated) as thumbs_rated,
        max(last_loaded_at) as last_loaded_at
    from days
    group by query_hash

),

final as (

    select
        {{ surrogate_key(['queries.query_hash', 'queries.query_topic']) }} as query_pattern_id,
        queries.query_hash,
        queries.query_topic,
        cast(queries.calls as bigint) as request_count,
        cast(coalesce(users.user_count, 0) as bigint) as user_count,
        queries.first_seen_at,
        queries.last_seen_at,
        {{ safe_divide('queries.latency_sum_ms', 'queries.latency_count') }} as avg_latency_ms,
        cast(queries.error_count as bigint) as error_count,
        {{ safe_divide('queries.zero_results', 'queries.responses') }} as zero_result_rate,
        {{ safe_divide('queries.thumbs_up', 'queries.thumbs_rated') }} as thumbs_up_rate,
        queries.last_loaded_at
    from queries
    left join users on queries.query_hash = users.query_hash

)

select * from final
