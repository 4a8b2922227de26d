{{
    config(
        materialized='incremental',
        unique_key=['query_hash', 'response_hash'],
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- The first response of each distinct answer to each distinct query: one row per query_hash x
-- response_hash, with the earliest successful call that gave it (by occurred_at, then
-- request_id). Every later call with the same pair is a duplicate generation
-- (mart_duplicate_generations_daily).
-- Incremental: the pairs of the responses loaded since the watermark are merged with the row
-- already held for them: the earlier of the held first and the new responses' first, and the
-- newer load time. The earliest of all responses is the earlier of the earliest old one and the
-- earliest new one, so the merge equals a full refresh without reading old calls again (a
-- redelivered call replaces its copy with the same content, as everywhere in the project).
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_responses as {{ not_materialized() }} (

    select
        request_id,
        occurred_at,
        request_date,
        loaded_at,
        query_hash,
        response_hash
    from {{ ref('fct_llm_requests') }}
    where status = 'success' and query_hash is not null and response_hash is not null

),

new_responses as (

    {{ incremental_scope('all_responses', loaded='loaded_at') }}

),

candidates as (

    select
        query_hash,
        response_hash,
        request_id,
        occurred_at,
        request_date,
        loaded_at,
        loaded_at as last_loaded_at
    from new_responses
    {%- if is_incremental() %}
    union all
    select
        held.query_hash,
        held.response_hash,
        held.first_request_id as request_id,
        held.first_occurred_at as occurred_at,
        held.first_request_date as request_date,
        held.first_loaded_at as loaded_at,
        held.last_loaded_at
    from {{ this }} as held
    where exists (
        select 1 from new_responses
        where new_responses.query_hash = held.query_hash and new_responses.response_hash = held.response_hash
    )
    {%- endif %}

),

ranked as (

    select
        *,
        row_number() over (
            -- a redelivered call (same request_id, later load) replaces its older copy
            partition by query_hash, response_hash order by occurred_at asc, request_id asc, loaded_at desc
        ) as response_rank,
        max(last_loaded_at) over (partition by query_hash, response_hash) as newest_loaded_at
    from candidates

),

final as (

    select
        query_hash,
        response_hash,
        request_id as first_request_id,
        occurred_at as first_occurred_at,
        request_date as first_request_date,
        loaded_at as first_loaded_at,
        newest_loaded_at as last_loaded_at
    from ranked
    where response_rank = 1

)

select * from final
