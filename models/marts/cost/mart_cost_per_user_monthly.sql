-- Grain: one row per calendar month (UTC) x known user with AI traffic. Anonymous calls have
-- no user and are not here (see mart_cost_by_segment's 'anonymous' segment). Sums the user's
-- days (fct_user_activity_daily, incremental): a run reads a row per user-day, not every call.

with

user_days as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as activity_month
    from {{ ref('fct_user_activity_daily') }}
    where is_ai_active

),

final as (

    select
        {{ surrogate_key(['activity_month', 'user_id']) }} as user_month_id,
        activity_month,
        user_id,
        cast(coalesce(sum(cost_usd), 0) as {{ type_double() }}) as cost_usd,
        cast(sum(ai_request_count) as bigint) as request_count,
        cast(sum(ai_tokens) as bigint) as total_tokens,
        cast(sum(ai_unpriced_request_count) as bigint) as unpriced_request_count,
        {{ is_complete_period('activity_month', 'month') }} as is_complete_period
    from user_days
    group by activity_month, user_id

)

select * from final
