-- Grain: one row per UTC day from the first to the last day with AI traffic. DAU / WAU / MAU are
-- distinct users with an AI request over the trailing 1, var active_users_week_days (7) and var
-- active_users_month_days (28) days ending that day, counted
-- from the user x day table (never by adding daily distinct counts).

{%- set week_days = var('active_users_week_days') %}
{%- set month_days = var('active_users_month_days') %}

with

activity as (

    select * from {{ ref('fct_user_activity_daily') }}
    where is_ai_active

),

days as (

    select cast(series_ts as date) as activity_date
    from {{ timestamp_series(
        '(select cast(min(activity_date) as timestamp) from activity)',
        '(select cast(max(activity_date) as timestamp) from activity)',
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
        count(distinct activity.user_id) as mau
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
        {{ safe_divide('dau', 'mau') }} as stickiness
    from windowed

)

select * from final
