{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC day x feature x routing strategy (primary, fallback, cache, ...; a call
-- without one is var routing_unknown_strategy, its own value). request_share_rate is the
-- strategy's share of the feature-day's calls; fallback_cost_multiplier (the same on every row of
-- a feature-day) is cost per fallback call / cost per primary call of that feature and day, null
-- without priced calls of both (or when the primary calls cost nothing).
-- Incremental: every day with a call loaded within the lookback is recomputed whole.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

requests as (

    {{ incremental_scope('all_requests', 'request_date', [
        touched('all_requests', 'request_date'), incomplete_periods('activity_date')
    ]) }}

),

strategies as (

    select
        request_date,
        feature_id,
        coalesce(routing_strategy, '{{ var("routing_unknown_strategy") }}') as routing_strategy,
        is_error,
        is_priced,
        cost_usd,
        total_latency_ms,
        loaded_at
    from requests

),

aggregated as (

    select
        request_date,
        feature_id,
        routing_strategy,
        count(*) as requests,
        sum(case when is_error then 1 else 0 end) as errors,
        sum(case when is_priced then 1 else 0 end) as priced_requests,
        sum(cost_usd) as cost_usd,
        {{ percentile_cont('total_latency_ms', 0.5) }} as latency_p50_ms,
        {{ percentile_cont('total_latency_ms', 0.95) }} as latency_p95_ms,
        max(loaded_at) as last_loaded_at
    from strategies
    group by request_date, feature_id, routing_strategy

),

per_call as (

    select
        *,
        {{ safe_divide('cost_usd', 'priced_requests') }} as cost_per_request_usd
    from aggregated

),

feature_days as (

    -- the feature-day's calls, and its cost per primary and per fallback call
    select
        request_date,
        coalesce(feature_id, '') as feature_key,
        sum(requests) as feature_requests,
        max(case when routing_strategy = '{{ var("routing_primary_strategy") }}' then cost_per_request_usd end)
            as primary_cost_per_request_usd,
        max(case when routing_strategy = '{{ var("routing_fallback_strategy") }}' then cost_per_request_usd end)
            as fallback_cost_per_request_usd
    from per_call
    group by request_date, coalesce(feature_id, '')

),

final as (

    select
        {{ surrogate_key(['per_call.request_date', "coalesce(per_call.feature_id, '')", 'per_call.routing_strategy']) }}
            as routing_day_id,
        per_call.request_date as activity_date,
        per_call.feature_id,
        cast(per_call.routing_strategy as {{ dbt.type_string() }}) as routing_strategy,
        cast(per_call.requests as bigint) as request_count,
        {{ safe_divide('per_call.requests', 'feature_days.feature_requests') }} as request_share_rate,
        cast(coalesce(per_call.cost_usd, 0) as {{ type_double() }}) as cost_usd,
        per_call.cost_per_request_usd,
        cast(per_call.latency_p50_ms as {{ type_double() }}) as latency_p50_ms,
        cast(per_call.latency_p95_ms as {{ type_double() }}) as latency_p95_ms,
        cast(per_call.errors as bigint) as error_count,
        {{ safe_divide('per_call.errors', 'per_call.requests') }} as error_rate,
        cast(per_call.requests - per_call.priced_requests as bigint) as unpriced_request_count,
        {{ safe_divide(
            'feature_days.fallback_cost_per_request_usd', 'feature_days.primary_cost_per_request_usd'
        ) }} as fallback_cost_multiplier,
        {{ is_complete_period('per_call.request_date', 'day') }} as is_complete_period,
        per_call.last_loaded_at
    from per_call
    inner join feature_days
        on
            per_call.request_date = feature_days.request_date
            and coalesce(per_call.feature_id, '') = feature_days.feature_key

)

select * from final
