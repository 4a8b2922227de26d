{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC day with AI traffic. How much the AI is used.
-- Incremental: new_user_count depends on every earlier day (a late call can move a user's first day
-- earlier), so every day from the earliest day with a call loaded within the lookback is
-- recomputed whole. Late calls reach a few days back: a few days are rebuilt, not all.

{%- set first_day = incremental_scope_start(
    ref('fct_llm_requests'), 'request_date',
    touched(ref('fct_llm_requests'), 'request_date') ~ ' union ' ~ incomplete_periods('activity_date'),
    literal=true
) %}
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

user_days as {{ not_materialized() }} (

    select * from {{ ref('fct_user_activity_daily') }}
    where is_ai_active

),

requests as (

    select * from all_requests
    where request_date >= {{ first_day }}

),

first_use as (

    -- every user's first AI day, from the user-days (a row per user and day, not per call); on
    -- an incremental run only those on a rebuilt day matter
    select
        user_id,
        min(activity_date) as first_request_date
    from user_days
    group by user_id
    having min(activity_date) >= {{ first_day }}

),

daily as (

    select
        request_date,
        count(*) as request_count,
        count(distinct user_id) as active_user_count,
        count(distinct session_id) as sessions,
        sum(case when is_anonymous then 1 else 0 end) as anonymous_request_count,
        max(loaded_at) as last_loaded_at
    from requests
    group by request_date

),

new_user_count as (

    select
        first_request_date as request_date,
        count(*) as new_user_count
    from first_use
    group by first_request_date

),

final as (

    select
        daily.request_date as activity_date,
        cast(daily.request_count as bigint) as request_count,
        cast(daily.active_user_count as bigint) as active_user_count,
        {{ safe_divide('daily.request_count - daily.anonymous_request_count', 'daily.active_user_count') }}
            as requests_per_user,
        cast(daily.sessions as bigint) as session_count,
        cast(coalesce(new_user_count.new_user_count, 0) as bigint) as new_user_count,
        cast(daily.anonymous_request_count as bigint) as anonymous_request_count,
        {{ is_complete_period('daily.request_date', 'day') }} as is_complete_period,
        daily.last_loaded_at
    from daily
    left join new_user_count on daily.request_date = new_user_count.request_date

)

select * from final
