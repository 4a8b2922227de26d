-- Invariant: dau <= wau <= mau every day, and dau equals mart_usage_daily.active_user_count.

select
    active.activity_date,
    active.dau,
    active.wau,
    active.mau,
    usage_daily.active_user_count
from {{ ref('mart_active_users_daily') }} as active
left join {{ ref('mart_usage_daily') }} as usage_daily on active.activity_date = usage_daily.activity_date
where
    active.dau > active.wau
    or active.wau > active.mau
    or active.dau != coalesce(usage_daily.active_user_count, 0)
