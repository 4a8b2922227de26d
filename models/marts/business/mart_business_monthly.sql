-- Grain: one row per calendar month (UTC) x segment with active users, signups or revenue.
-- Segment is the user's current one (dim_users; 'unknown' when missing); only known users count
-- (anonymous calls have no user to activate, bill or churn: their cost is in mart_cost_by_segment).
-- Active means at least one AI call in the month (as retention counts it). Signup figures
-- (activation, time to value) are over observed signups only: from raw.users (not inferred from
-- a first active day) and at or after the data's first call, so users who signed up before the
-- data starts, whose first calls nobody saw, do not distort them. Churn of month M is known once
-- M + 1 is complete; before that it is null, never counted. A plain table: a few rows per month.
-- Formulas: docs/models.md#business-metrics.

with

users as (

    select
        user_id,
        signed_up_at,
        is_signup_inferred,
        coalesce(segment, 'unknown') as segment
    from {{ ref('dim_users') }}

),

activity as (

    select * from {{ ref('fct_user_activity_daily') }}

),

requests as (

    select * from {{ ref('fct_llm_requests') }}

),

positive_feedback as (

    select
        user_id,
        occurred_at
    from {{ ref('fct_feedback') }}
    where is_positive and user_id is not null

),

product_events as (

    select * from {{ ref('stg_llm__product_events') }}
    where reject_reason is null and user_id is not null

),

bounds as (

    -- how far the data reaches: its first and its newest call
    select
        min(occurred_at) as data_start_at,
        max(occurred_at) as data_end_at
    from requests

),

successes as (

    select
        user_id,
        occurred_at
    from requests
    where user_id is not null and status = 'success'

),

activation_events as (

    -- var activation_event: a product event name, or null for a successful AI call
    {%- set activation_event = var('activation_event') %}
    select
        user_id,
        occurred_at
    from {{ 'successes' if activation_event is none else 'product_events' }}
    where {{ 'true' if activation_event is none else "event_name = '" ~ (activation_event | lower) ~ "'" }}

),

-- active users, their churn and their AI cost -------------------------------------------------

user_months as (

    select
        user_id,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as activity_month,
        sum(cost_usd) as ai_cost_usd,
        max(case when is_ai_active then 1 else 0 end) as is_active
    from activity
    group by user_id, cast({{ dbt.date_trunc('month', 'activity_date') }} as date)

),

active_months as (

    select
        user_months.user_id,
        user_months.activity_month,
        user_months.ai_cost_usd,
        user_months.is_active,
        next_month.user_id is not null as is_active_next_month,
        -- M + 1 complete: the data reaches its end, so an absence from it is an absence
        {{ is_complete_period(dbt.dateadd('month', 1, 'user_months.activity_month'), 'month') }}
            as is_next_month_complete
    from user_months
    left join user_months as next_month
        on
            user_months.user_id = next_month.user_id
            and next_month.is_active = 1
            and next_month.activity_month
            = cast({{ dbt.dateadd('month', 1, 'user_months.activity_month') }} as date)

),

usage_totals as (

    select
        active_months.activity_month,
        users.segment,
        sum(active_months.is_active) as active_users,
        sum(
            case when active_months.is_active = 1 and not active_months.is_active_next_month then 1 else 0 end
        ) as churned_users,
        max(case when active_months.is_next_month_complete then 1 else 0 end) as is_churn_known,
        sum(active_months.ai_cost_usd) as ai_cost_usd
    from active_months
    inner join users on active_months.user_id = users.user_id
    group by active_months.activity_month, users.segment

),

-- observed signups: activation and time to value -----------------------------------------------

signups as (

    select
        users.user_id,
        users.segment,
        users.signed_up_at,
        cast({{ dbt.date_trunc('month', 'users.signed_up_at') }} as date) as activity_month,
        {{ dbt.dateadd('day', var('activation_window_days'), 'users.signed_up_at') }} <= bounds.data_end_at
            as is_window_closed
    from users
    cross join bounds
    where
        not users.is_signup_inferred
        and users.signed_up_at >= bounds.data_start_at
        and users.signed_up_at <= bounds.data_end_at

),

milestones as (

    select
        user_id,
        occurred_at,
        'activation' as milestone
    from activation_events
    union all
    select
        user_id,
        occurred_at,
        'success' as milestone
    from successes
    union all
    select
        user_id,
        occurred_at,
        'positive' as milestone
    from positive_feedback

),

first_milestones as (

    -- each signup's first activation, successful call and positive feedback after signing up
    select
        signups.user_id,
        min(case when milestones.milestone = 'activation' then milestones.occurred_at end) as activated_at,
        min(case when milestones.milestone = 'success' then milestones.occurred_at end) as first_success_at,
        min(case when milestones.milestone = 'positive' then milestones.occurred_at end) as first_positive_at
    from signups
    inner join milestones
        on signups.user_id = milestones.user_id and signups.signed_up_at <= milestones.occurred_at
    group by signups.user_id

),

signup_journeys as (

    select
        signups.activity_month,
        signups.segment,
        signups.user_id,
        signups.is_window_closed,
        coalesce(
            first_milestones.activated_at
            <= {{ dbt.dateadd('day', var('activation_window_days'), 'signups.signed_up_at') }},
            false
        ) as is_activated,
        {{ seconds_between('signups.signed_up_at', 'first_milestones.first_success_at') }} / 3600.0
            as hours_to_first_success,
        {{ seconds_between('signups.signed_up_at', 'first_milestones.first_positive_at') }} / 3600.0
            as hours_to_first_positive
    from signups
    left join first_milestones on signups.user_id = first_milestones.user_id

),

signup_totals as (

    select
        activity_month,
        segment,
        count(*) as signups,
        sum(case when is_window_closed then 1 else 0 end) as eligible,
        sum(case when is_window_closed and is_activated then 1 else 0 end) as activated,
        count(hours_to_first_success) as reached_success,
        {{ percentile_cont('hours_to_first_success', 0.5) }} as first_success_p50,
        {{ percentile_cont('hours_to_first_success', 0.9) }} as first_success_p90,
        count(hours_to_first_positive) as reached_positive,
        {{ percentile_cont('hours_to_first_positive', 0.5) }} as first_positive_p50,
        {{ percentile_cont('hours_to_first_positive', 0.9) }} as first_positive_p90
    from signup_journeys
    group by activity_month, segment

),

-- revenue ----------------------------------------------------------------------------------------

revenue_events as (

    select
        cast({{ dbt.date_trunc('month', 'product_events.occurred_at') }} as date) as activity_month,
        coalesce(users.segment, 'unknown') as segment,
        product_events.user_id,
        product_events.amount_usd
    from product_events
    left join users on product_events.user_id = users.user_id
    where product_events.event_name in ({{ quoted_list(var('revenue_events')) }})

),

revenue_totals as (

    select
        activity_month,
        segment,
        sum(amount_usd) as revenue_usd,
        count(distinct user_id) as paying_users
    from revenue_events
    group by activity_month, segment

),

keys as (

    select
        activity_month,
        segment
    from usage_totals
    union
    select
        activity_month,
        segment
    from signup_totals
    union
    select
        activity_month,
        segment
    from revenue_totals

),

joined as (

    select
        keys.activity_month,
        keys.segment,
        coalesce(usage_totals.active_users, 0) as active_users,
        case when usage_totals.is_churn_known = 1 then usage_totals.churned_users end as churned_users,
        coalesce(usage_totals.ai_cost_usd, 0) as ai_cost_usd,
        coalesce(signup_totals.signups, 0) as signups,
        coalesce(signup_totals.eligible, 0) as eligible,
        coalesce(signup_totals.activated, 0) as activated,
        coalesce(signup_totals.reached_success, 0) as reached_success,
        signup_totals.first_success_p50,
        signup_totals.first_success_p90,
        coalesce(signup_totals.reached_positive, 0) as reached_positive,
        signup_totals.first_positive_p50,
        signup_totals.first_positive_p90,
        coalesce(revenue_totals.revenue_usd, 0) as revenue_usd,
        coalesce(revenue_totals.paying_users, 0) as paying_users
    from keys
    left join usage_totals
        on keys.activity_month = usage_totals.activity_month and keys.segment = usage_totals.segment
    left join signup_totals
        on keys.activity_month = signup_totals.activity_month and keys.segment = signup_totals.segment
    left join revenue_totals
        on keys.activity_month = revenue_totals.activity_month and keys.segment = revenue_totals.segment

),

rated as (

    select
        *,
        {{ safe_divide('revenue_usd', 'active_users') }} as arpu,
        {{ safe_divide('churned_users', 'active_users') }} as churn
    from joined

),

final as (

    select
        {{ surrogate_key(['activity_month', 'segment']) }} as business_month_id,
        activity_month,
        segment,
        cast(active_users as bigint) as active_user_count,
        cast(signups as bigint) as signup_count,
        cast(eligible as bigint) as activation_eligible_user_count,
        cast(activated as bigint) as activated_user_count,
        {{ safe_divide('activated', 'eligible') }} as activation_rate,
        cast(reached_success as bigint) as first_success_user_count,
        cast(first_success_p50 as {{ type_double() }}) as time_to_first_success_p50_hours,
        cast(first_success_p90 as {{ type_double() }}) as time_to_first_success_p90_hours,
        cast(reached_positive as bigint) as first_positive_feedback_user_count,
        cast(first_positive_p50 as {{ type_double() }}) as time_to_first_positive_feedback_p50_hours,
        cast(first_positive_p90 as {{ type_double() }}) as time_to_first_positive_feedback_p90_hours,
        cast(revenue_usd as {{ type_double() }}) as revenue_usd,
        cast(paying_users as bigint) as paying_user_count,
        arpu as revenue_per_active_user_usd,
        cast(churned_users as bigint) as churned_user_count,
        churn as churn_rate,
        -- expected lifetime 1 / churn months, at most ltv_max_lifetime_months (no churn: the cap)
        case
            when arpu is not null and churn is not null
                then
                    arpu
                    * case
                        when churn * {{ var('ltv_max_lifetime_months') }} <= 1
                            then {{ var('ltv_max_lifetime_months') }}
                        else 1 / churn
                    end
        end as ltv_usd,
        cast(ai_cost_usd as {{ type_double() }}) as ai_cost_usd,
        {{ safe_divide('ai_cost_usd', 'active_users') }} as ai_cost_per_active_user_usd,
        cast(revenue_usd - ai_cost_usd as {{ type_double() }}) as margin_usd,
        {{ safe_divide('revenue_usd - ai_cost_usd', 'active_users') }} as margin_per_active_user_usd,
        {{ is_complete_period('activity_month', 'month') }} as is_complete_period
    from rated

)

select * from final
