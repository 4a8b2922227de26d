{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        meta={'recent_column': 'first_loaded_at'}
    )
}}

-- Each distinct query (query_hash) x known user who sent it: the exact base for a query's
-- unique_users over all time, kept incrementally (a distinct count cannot be summed over days).
-- Grain: one row per query_hash x user_id. Incremental: pairs from calls loaded within the
-- lookback that are not here yet are appended; a pair never goes away (see macro
-- first_seen_keys).

{{ first_seen_keys(
    ref('fct_llm_requests'),
    {'query_hash': 'query_hash', 'user_id': 'user_id'},
    'query_hash is not null and user_id is not null',
) }}
