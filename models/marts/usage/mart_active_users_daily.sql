{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC day from the first to the last day with AI traffic. DAU / WAU / MAU are
-- distinct users with an AI request over the trailing 1, var active_users_week_days (7) and var
-- active_users_month_days (28) days ending that day, counted
-- from the user x day table (never by adding daily distinct counts).
-- Incremental: a user-day loaded within the lookback changes every window that holds it, so
-- every day from the earliest such user-day on is recomputed, from the user-days of its window.

{%- set week_days = var('active_users_week_days') %}
{%- set month_days = var('active_users_month_days') %}
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_activity as {{ not_materialized() }} (

    select * from {{ ref('fct_user_activity_daily') }}
    where is_ai_active

),

bounds as (

    select
        {{ incremental_scope_start(
            'all_activity', 'activity_date',
            touched('all_activity', 'activity_date', 'last_loaded_at') ~ ' union ' ~ incomplete_periods('activity_date')
        ) }} as first_day,
        max(activity_date) as last_day
    from all_activity

),

activity as (

    select all_activity.*
    from all_activity
    cross join bounds
    where all_activity.activity_date > {{ dbt.dateadd('day', -month_days, 'bounds.first_day') }}

),

days as (

    select cast(series_ts as date) as activity_date
    from {{ timestamp_series(
        '(select cast(first_day as timestamp) from bounds)',
        '(select cast(last_day as timestamp) from bounds)',
        '1 day'
    ) }}

),

windowed as (

    select
        days.activity_date,
        count(distinct case when activity.activity_date = days.activity_date then activity.user_id end) as dau,
        count(distinct case
            when activity.activity_date > {{ dbt.dateadd('day', -week_days, 'days.activity_date') }}
                then activity.user_id
        end) as wau,
        count(distinct activity.user_id) as mau,
        max(activity.last_loaded_at) as last_loaded_at
    from days
    left join activity
        on
            days.activity_date >= activity.activity_date
            and activity.activity_date > {{ dbt.dateadd('day', -month_days, 'days.activity_date') }}
    group by days.activity_date

),

final as (

    select
        activity_date,
        cast(dau as bigint) as dau,
        cast(wau as bigint) as wau,
        cast(mau as bigint) as mau,
        {{ safe_divide('dau', 'mau') }} as stickiness,
        {{ is_complete_period('activity_date', 'day') }} as is_complete_period,
        last_loaded_at
    from windowed

)

select * from final
