{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC day x feature with AI traffic. adoption_rate = users of the feature that
-- day / the day's active product users (users with an AI request or a product event that day).
-- Incremental: every day with a user-day (fct_user_activity_daily: calls and product events)
-- loaded within the lookback is recomputed whole, so a late product event, which changes the
-- day's active users, rebuilds its day too.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_activity as {{ not_materialized() }} (

    select * from {{ ref('fct_user_activity_daily') }}

),

activity as (

    {{ incremental_scope(
        'all_activity', 'activity_date',
        [touched('all_activity', 'activity_date', 'last_loaded_at'), incomplete_periods('activity_date')]
    ) }}

),

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}
    where user_id is not null

),

requests as (

    -- the calls of the activity slice's days: a day touched by a product event alone re-reads
    -- its calls too
    {{ incremental_scope('all_requests', 'request_date', 'select activity_date from activity') }}

),

active_users as (

    select
        activity_date,
        count(distinct user_id) as active_product_user_count,
        max(last_loaded_at) as last_loaded_at
    from activity
    group by activity_date

),

feature_use as (

    select
        request_date as activity_date,
        feature_id,
        count(distinct user_id) as users,
        count(*) as requests
    from requests
    group by request_date, feature_id

),

final as (

    select
        {{ surrogate_key(['feature_use.activity_date', 'feature_use.feature_id']) }}
            as feature_day_id,
        feature_use.activity_date,
        feature_use.feature_id,
        cast(feature_use.users as bigint) as user_count,
        cast(feature_use.requests as bigint) as request_count,
        cast(active_users.active_product_user_count as bigint) as active_product_user_count,
        {{ safe_divide('feature_use.users', 'active_users.active_product_user_count') }} as adoption_rate,
        {{ is_complete_period('feature_use.activity_date', 'day') }} as is_complete_period,
        active_users.last_loaded_at
    from feature_use
    inner join active_users on feature_use.activity_date = active_users.activity_date

)

select * from final
