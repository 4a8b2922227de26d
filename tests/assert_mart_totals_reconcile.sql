-- Invariant: the aggregate marts add up to the request fact. Returns a row per mismatch.

with

facts as (

    select
        count(*) as fact_requests,
        coalesce(sum(cost_usd), 0) as fact_cost_usd,
        sum(case when is_error then 0 else 1 end) as fact_responses,
        sum(case when user_id is not null then 1 else 0 end) as fact_user_requests,
        sum(case when user_id is not null then total_tokens else 0 end) as fact_user_tokens,
        sum(case when user_id is not null and not is_priced then 1 else 0 end) as fact_user_unpriced
    from {{ ref('fct_llm_requests') }}

),

mart_totals as (

    select
        'mart_cost_daily.request_count' as check_name,
        'requests' as measure,
        sum(request_count) as mart_value
    from {{ ref('mart_cost_daily') }}
    union all
    select
        'mart_cost_daily.cost_usd' as check_name,
        'cost_usd' as measure,
        sum(cost_usd) as mart_value
    from {{ ref('mart_cost_daily') }}
    union all
    select
        'mart_usage_daily.request_count' as check_name,
        'requests' as measure,
        sum(request_count) as mart_value
    from {{ ref('mart_usage_daily') }}
    union all
    select
        'mart_performance_hourly.request_count' as check_name,
        'requests' as measure,
        sum(request_count) as mart_value
    from {{ ref('mart_performance_hourly') }}
    union all
    select
        'mart_latency_histogram.request_count' as check_name,
        'requests' as measure,
        sum(request_count) as mart_value
    from {{ ref('mart_latency_histogram') }}
    union all
    select
        'mart_alert_metrics_hourly.request_count' as check_name,
        'requests' as measure,
        sum(request_count) as mart_value
    from {{ ref('mart_alert_metrics_hourly') }}
    where scope_type = 'overall'
    union all
    select
        'mart_alert_metrics_hourly.cost_usd' as check_name,
        'cost_usd' as measure,
        sum(cost_usd) as mart_value
    from {{ ref('mart_alert_metrics_hourly') }}
    where scope_type = 'overall'
    union all
    select
        'mart_satisfaction_daily.response_count' as check_name,
        'responses' as measure,
        sum(response_count) as mart_value
    from {{ ref('mart_satisfaction_daily') }}
    union all
    select
        'mart_usage_patterns.request_count' as check_name,
        'requests' as measure,
        sum(request_count) as mart_value
    from {{ ref('mart_usage_patterns') }}
    union all
    select
        'mart_cost_per_user_monthly.request_count' as check_name,
        'user_requests' as measure,
        sum(request_count) as mart_value
    from {{ ref('mart_cost_per_user_monthly') }}
    union all
    select
        'mart_cost_per_user_monthly.total_tokens' as check_name,
        'user_tokens' as measure,
        sum(total_tokens) as mart_value
    from {{ ref('mart_cost_per_user_monthly') }}
    union all
    select
        'mart_cost_per_user_monthly.unpriced_request_count' as check_name,
        'user_unpriced' as measure,
        sum(unpriced_request_count) as mart_value
    from {{ ref('mart_cost_per_user_monthly') }}

),

compared as (

    select
        mart_totals.check_name,
        mart_totals.mart_value,
        case mart_totals.measure
            when 'requests' then facts.fact_requests
            when 'cost_usd' then facts.fact_cost_usd
            when 'user_requests' then facts.fact_user_requests
            when 'user_tokens' then facts.fact_user_tokens
            when 'user_unpriced' then facts.fact_user_unpriced
            else facts.fact_responses
        end as fact_value
    from mart_totals
    cross join facts

)

select *
from compared
where abs(coalesce(mart_value, 0) - coalesce(fact_value, 0)) > 0.000001 * greatest(1, abs(coalesce(fact_value, 0)))
