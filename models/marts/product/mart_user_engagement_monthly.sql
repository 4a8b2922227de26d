-- Grain: one row per month x engagement tier (power, regular, occasional; every tier present):
-- the users of each tier by their active days in the trailing window (var engagement_window_days)
-- ending at the month's end, with their calls, cost and thumbs-up rate in that window. Sums of
-- the L28 histogram's rows (mart_user_engagement_l28_monthly), so the two always agree.
-- A table: it reads the histogram, a few dozen rows a month.

with

buckets as (

    select * from {{ ref('mart_user_engagement_l28_monthly') }}

),

tiers as (

    select
        activity_month,
        engagement_tier,
        min(window_start_date) as window_start_date,
        min(window_end_date) as window_end_date,
        min(active_day_count) as min_active_day_count,
        max(active_day_count) as max_active_day_count,
        sum(user_count) as users,
        sum(request_count) as requests,
        sum(cost_usd) as cost_usd,
        sum(thumbs_up_count) as thumbs_up,
        sum(thumbs_down_count) as thumbs_down
    from buckets
    group by activity_month, engagement_tier

),

month_users as (

    select
        activity_month,
        sum(users) as users
    from tiers
    group by activity_month

),

final as (

    select
        {{ surrogate_key(['tiers.activity_month', 'tiers.engagement_tier']) }} as engagement_tier_id,
        tiers.activity_month,
        tiers.engagement_tier,
        cast(tiers.min_active_day_count as integer) as min_active_day_count,
        cast(tiers.max_active_day_count as integer) as max_active_day_count,
        tiers.window_start_date,
        tiers.window_end_date,
        cast(tiers.users as bigint) as user_count,
        {{ safe_divide('tiers.users', 'month_users.users') }} as user_share_rate,
        cast(tiers.requests as bigint) as request_count,
        cast(tiers.cost_usd as {{ type_double() }}) as cost_usd,
        {{ safe_divide('tiers.requests', 'tiers.users') }} as requests_per_user,
        {{ safe_divide('tiers.cost_usd', 'tiers.users') }} as cost_per_user_usd,
        cast(tiers.thumbs_up as bigint) as thumbs_up_count,
        cast(tiers.thumbs_down as bigint) as thumbs_down_count,
        {{ safe_divide('tiers.thumbs_up', 'tiers.thumbs_up + tiers.thumbs_down') }} as thumbs_up_rate,
        {{ is_complete_period('tiers.activity_month', 'month') }} as is_complete_period
    from tiers
    inner join month_users on tiers.activity_month = month_users.activity_month

)

select * from final
