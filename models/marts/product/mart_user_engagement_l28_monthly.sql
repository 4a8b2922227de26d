-- Grain: one row per month x active-day count 1..var engagement_window_days (every count present,
-- 0 users where none): the L28 histogram. A user's active days are the days with an AI call in
-- the trailing window ending at the month's last day (or the data's last day, in the month the
-- data ends). Each row also carries its users' calls, cost and thumbs in the window, so the tiers
-- of mart_user_engagement_monthly are sums of these rows.
-- A table, rebuilt whole: it reads a row per user-day (fct_user_activity_daily), not every call,
-- and the thumbs-rated calls only.

with

activity as (

    select * from {{ ref('fct_user_activity_daily') }}
    where is_ai_active

),

requests as (

    select
        request_id,
        user_id,
        request_date
    from {{ ref('fct_llm_requests') }}
    where user_id is not null

),

request_feedback as (

    select * from {{ ref('fct_llm_request_feedback') }}
    where has_thumbs_up or has_thumbs_down

),

thumbs_days as (

    select
        requests.user_id,
        requests.request_date as activity_date,
        sum(case when request_feedback.has_thumbs_up then 1 else 0 end) as thumbs_up,
        sum(case when request_feedback.has_thumbs_down then 1 else 0 end) as thumbs_down
    from request_feedback
    inner join requests on request_feedback.request_id = requests.request_id
    group by requests.user_id, requests.request_date

),

months as (

    select distinct cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as activity_month
    from activity

),

windows as (

    select
        activity_month,
        window_end_date,
        cast({{ dbt.dateadd('day', 1 - var('engagement_window_days'), 'window_end_date') }} as date)
            as window_start_date
    from (
        select
            activity_month,
            least({{ dbt.last_day('activity_month', 'month') }}, cast({{ data_horizon() }} as date))
                as window_end_date
        from months
    ) as ends

),

user_windows as (

    select
        windows.activity_month,
        activity.user_id,
        count(*) as active_days,
        sum(activity.ai_request_count) as requests,
        sum(activity.cost_usd) as cost_usd,
        sum(coalesce(thumbs_days.thumbs_up, 0)) as thumbs_up,
        sum(coalesce(thumbs_days.thumbs_down, 0)) as thumbs_down
    from windows
    inner join activity
        on activity.activity_date between windows.window_start_date and windows.window_end_date
    left join thumbs_days
        on activity.user_id = thumbs_days.user_id and activity.activity_date = thumbs_days.activity_date
    group by windows.activity_month, activity.user_id

),

buckets as (

    select
        activity_month,
        active_days,
        count(*) as users,
        sum(requests) as requests,
        sum(cost_usd) as cost_usd,
        sum(thumbs_up) as thumbs_up,
        sum(thumbs_down) as thumbs_down
    from user_windows
    group by activity_month, active_days

),

month_users as (

    select
        activity_month,
        count(*) as users
    from user_windows
    group by activity_month

),

day_counts as (

    select cast(generated_number as integer) as active_day_count
    from ({{ dbt.generate_series(var('engagement_window_days')) }}) as series

),

final as (

    select
        {{ surrogate_key(['windows.activity_month', 'day_counts.active_day_count']) }} as engagement_bucket_id,
        windows.activity_month,
        day_counts.active_day_count,
        case
            when day_counts.active_day_count >= {{ var('engagement_power_min_days') }} then 'power'
            when day_counts.active_day_count >= {{ var('engagement_regular_min_days') }} then 'regular'
            else 'occasional'
        end as engagement_tier,
        windows.window_start_date,
        windows.window_end_date,
        cast(coalesce(buckets.users, 0) as bigint) as user_count,
        {{ safe_divide('coalesce(buckets.users, 0)', 'month_users.users') }} as user_share_rate,
        cast(coalesce(buckets.requests, 0) as bigint) as request_count,
        cast(coalesce(buckets.cost_usd, 0) as {{ type_double() }}) as cost_usd,
        cast(coalesce(buckets.thumbs_up, 0) as bigint) as thumbs_up_count,
        cast(coalesce(buckets.thumbs_down, 0) as bigint) as thumbs_down_count,
        {{ is_complete_period('windows.activity_month', 'month') }} as is_complete_period
    from windows
    cross join day_counts
    left join buckets
        on
            windows.activity_month = buckets.activity_month
            and day_counts.active_day_count = buckets.active_days
    left join month_users on windows.activity_month = month_users.activity_month

)

select * from final
