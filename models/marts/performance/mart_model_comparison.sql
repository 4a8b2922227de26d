{{
    config(
        materialized='incremental',
        unique_key='activity_week',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per ISO week (Monday) x provider x model x model_version x routing_strategy,
-- so a version change (drift) shows side by side. Latency percentiles are exact per row.
-- Incremental: every week with a call loaded, or given feedback, within the lookback is
-- recomputed whole.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select
        *,
        cast({{ dbt.date_trunc('week', 'request_date') }} as date) as activity_week
    from {{ ref('fct_llm_requests') }}

),

feedback as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_request_feedback') }}

),

requests as (

    {{ incremental_scope('all_requests', 'activity_week', [
        touched_via(
            'all_requests', 'activity_week', 'request_id', touched('feedback', 'request_id', 'last_loaded_at')
        ),
        incomplete_periods('activity_week'),
    ]) }}

),

final as (

    select
        {{ surrogate_key([
            'requests.activity_week', 'requests.provider', 'requests.model_id',
            "coalesce(requests.model_version, '')", "coalesce(requests.routing_strategy, '')"
        ]) }} as model_week_id,
        requests.activity_week,
        requests.provider,
        requests.model_id,
        requests.model_version,
        requests.routing_strategy,
        cast(count(*) as bigint) as request_count,
        cast({{ percentile_cont('requests.total_latency_ms', 0.5) }} as {{ type_double() }}) as latency_p50_ms,
        cast({{ percentile_cont('requests.total_latency_ms', 0.95) }} as {{ type_double() }}) as latency_p95_ms,
        {{ safe_divide('sum(case when requests.is_error then 1 else 0 end)', 'count(*)') }} as error_rate,
        {{ safe_divide('sum(requests.cost_usd)', 'sum(case when requests.is_priced then 1 else 0 end)') }}
            as cost_per_request_usd,
        cast(avg(requests.implicit_quality_score) as {{ type_double() }}) as avg_implicit_quality_score,
        {{ safe_divide(
            'sum(case when feedback.has_thumbs_up then 1 else 0 end)',
            'sum(case when feedback.has_thumbs_up or feedback.has_thumbs_down then 1 else 0 end)'
        ) }} as thumbs_up_rate,
        {{ safe_divide(
            'sum(case when requests.is_regenerated then 1 else 0 end)',
            'sum(case when requests.is_error then 0 else 1 end)'
        ) }} as regeneration_rate,
        {{ is_complete_period('requests.activity_week', 'week') }} as is_complete_period,
        max(feedback.last_loaded_at) as last_loaded_at
    from requests
    inner join feedback on requests.request_id = feedback.request_id
    group by
        requests.activity_week,
        requests.provider,
        requests.model_id,
        requests.model_version,
        requests.routing_strategy

)

select * from final
