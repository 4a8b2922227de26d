{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        meta={'recent_column': 'first_loaded_at'}
    )
}}

-- Each known user x UTC weekday x hour of day they sent a call in: the exact base for
-- mart_usage_patterns' users over all time, kept incrementally (a distinct count cannot be
-- summed over hours). Grain: one row per user_id x day_of_week x hour_of_day. Incremental:
-- pairs from calls loaded within the lookback that are not here yet are appended; a pair
-- never goes away (see macro first_seen_keys).

{{ first_seen_keys(
    ref('fct_llm_requests'),
    {
        'user_id': 'user_id',
        'day_of_week': iso_day_of_week('occurred_at'),
        'hour_of_day': 'cast(extract(hour from occurred_at) as integer)',
    },
    'user_id is not null',
) }}
