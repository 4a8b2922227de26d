{{
    config(
        materialized='incremental',
        unique_key='session_id',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- One row per session (conversation): its requests' tokens, cost, errors and feedback.
-- cost_usd is the sum of the session's priced requests; see the singular test
-- assert_session_cost_equals_request_cost. Incremental, the Snowplow way: a session touched by
-- a call or feedback loaded within the lookback is rebuilt whole from all its events, so a
-- batch boundary never splits a session.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

all_feedback as {{ not_materialized() }} (

    select * from {{ ref('fct_feedback') }}

),

{%- set touched_sessions = [touched('all_requests', 'session_id'), touched('all_feedback', 'session_id')] %}

requests as (

    {{ incremental_scope('all_requests', 'session_id', touched_sessions) }}

),

feedback as (

    {{ incremental_scope('all_feedback', 'session_id', touched_sessions) }}

),

request_totals as (

    select
        session_id,
        min(user_id) as user_id,
        min(tenant_id) as tenant_id,
        min(feature_id) as feature_id,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        -- seconds from a fixed instant, so the end of each call's response (occurred_at + its
        -- latency) is one aggregate, without a second pass for the session's start
        max(
            {{ seconds_between("cast('2000-01-01 00:00:00' as timestamp)", 'occurred_at') }}
            + coalesce(total_latency_ms, 0) / 1000.0
        )
        - min({{ seconds_between("cast('2000-01-01 00:00:00' as timestamp)", 'occurred_at') }})
            as duration_to_last_response_seconds,
        count(*) as request_count,
        sum(case when is_error then 1 else 0 end) as error_count,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        sum(cached_tokens) as cached_tokens,
        sum(total_tokens) as total_tokens,
        sum(cost_usd) as cost_usd,
        sum(case when is_priced then 0 else 1 end) as unpriced_request_count,
        sum(case when is_regenerated then 1 else 0 end) as regeneration_count,
        sum(case when is_edited then 1 else 0 end) as edit_count,
        max(loaded_at) as last_loaded_at
    from requests
    group by session_id

),

feedback_totals as (

    select
        session_id,
        count(*) as feedback_count,
        sum(case when feedback_type = 'thumbs_up' then 1 else 0 end) as thumbs_up_count,
        sum(case when feedback_type = 'thumbs_down' then 1 else 0 end) as thumbs_down_count,
        sum(case when feedback_type = 'rating' then 1 else 0 end) as rating_count,
        max(loaded_at) as last_loaded_at
    from feedback
    group by session_id

),

final as (

    select
        request_totals.session_id,
        request_totals.user_id,
        request_totals.tenant_id,
        request_totals.feature_id,
        request_totals.started_at,
        request_totals.ended_at,
        {{ seconds_between('request_totals.started_at', 'request_totals.ended_at') }} as duration_seconds,
        cast(request_totals.duration_to_last_response_seconds as {{ type_double() }})
            as duration_to_last_response_seconds,
        cast(request_totals.request_count as bigint) as request_count,
        cast(request_totals.error_count as bigint) as error_count,
        cast(request_totals.prompt_tokens as bigint) as prompt_tokens,
        cast(request_totals.completion_tokens as bigint) as completion_tokens,
        cast(request_totals.cached_tokens as bigint) as cached_tokens,
        cast(request_totals.total_tokens as bigint) as total_tokens,
        cast(coalesce(request_totals.cost_usd, 0) as {{ type_double() }}) as cost_usd,
        cast(request_totals.unpriced_request_count as bigint) as unpriced_request_count,
        cast(request_totals.regeneration_count as bigint) as regeneration_count,
        cast(request_totals.edit_count as bigint) as edit_count,
        cast(coalesce(feedback_totals.feedback_count, 0) as bigint) as feedback_count,
        cast(coalesce(feedback_totals.thumbs_up_count, 0) as bigint) as thumbs_up_count,
        cast(coalesce(feedback_totals.thumbs_down_count, 0) as bigint) as thumbs_down_count,
        cast(coalesce(feedback_totals.rating_count, 0) as bigint) as rating_count,
        coalesce(request_totals.cost_usd, 0) > {{ var('session_budget_usd') }} as is_over_budget,
        case
            when feedback_totals.last_loaded_at > request_totals.last_loaded_at
                then feedback_totals.last_loaded_at
            else request_totals.last_loaded_at
        end as last_loaded_at
    from request_totals
    left join feedback_totals on request_totals.session_id = feedback_totals.session_id

)

select * from final
