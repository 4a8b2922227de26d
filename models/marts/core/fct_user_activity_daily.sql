{{
    config(
        materialized='incremental',
        unique_key='user_day_id',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per known user x UTC day with any activity (an AI request or a product event;
-- revenue events, var revenue_events, are billing and do not count).
-- The base for active-user counts: distinct users over a window are counted from these rows,
-- never by adding daily distinct counts. Incremental: user-days with a call or event loaded
-- within the lookback are recomputed whole.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select
        *,
        request_date as activity_date
    from {{ ref('fct_llm_requests') }}
    where user_id is not null

),

all_product_events as {{ not_materialized() }} (

    select
        *,
        cast(occurred_at as date) as activity_date
    from {{ ref('stg_llm__product_events') }}
    -- a payment is billing, not use (a renewal charges users who have left): not activity
    where
        reject_reason is null and user_id is not null
        and event_name not in ({{ quoted_list(var('revenue_events')) }})

),

{%- set touched_user_days = [
    touched('all_requests', 'user_id, activity_date'),
    touched('all_product_events', 'user_id, activity_date'),
] %}

-- a semi-join (exists), so the engine builds on the few touched user-days and only probes the
-- 10M calls, instead of building on them
requests as (

    {{ incremental_scope('all_requests', ['user_id', 'activity_date'], touched_user_days) }}

),

product_events as (

    {{ incremental_scope('all_product_events', ['user_id', 'activity_date'], touched_user_days) }}

),

ai_days as (

    select
        user_id,
        request_date as activity_date,
        count(*) as ai_request_count,
        count(distinct session_id) as ai_session_count,
        sum(cost_usd) as cost_usd,
        sum(total_tokens) as tokens,
        sum(case when is_priced then 0 else 1 end) as unpriced_requests,
        max(loaded_at) as last_loaded_at
    from requests
    group by user_id, request_date

),

product_days as (

    select
        user_id,
        activity_date,
        count(*) as product_event_count,
        max(loaded_at) as last_loaded_at
    from product_events
    group by user_id, activity_date

),

final as (

    select
        {{ surrogate_key([
            'coalesce(ai_days.user_id, product_days.user_id)',
            'coalesce(ai_days.activity_date, product_days.activity_date)'
        ]) }}
            as user_day_id,
        coalesce(ai_days.user_id, product_days.user_id) as user_id,
        coalesce(ai_days.activity_date, product_days.activity_date) as activity_date,
        cast(coalesce(ai_days.ai_request_count, 0) as bigint) as ai_request_count,
        cast(coalesce(ai_days.ai_session_count, 0) as bigint) as ai_session_count,
        cast(coalesce(ai_days.cost_usd, 0) as {{ type_double() }}) as cost_usd,
        cast(coalesce(ai_days.tokens, 0) as bigint) as ai_tokens,
        cast(coalesce(ai_days.unpriced_requests, 0) as bigint) as ai_unpriced_request_count,
        cast(coalesce(product_days.product_event_count, 0) as bigint) as product_event_count,
        coalesce(ai_days.ai_request_count, 0) > 0 as is_ai_active,
        case
            when product_days.last_loaded_at > ai_days.last_loaded_at or ai_days.last_loaded_at is null
                then product_days.last_loaded_at
            else ai_days.last_loaded_at
        end as last_loaded_at
    from ai_days
    full outer join product_days
        on ai_days.user_id = product_days.user_id and ai_days.activity_date = product_days.activity_date

)

select * from final
