-- Grain: one row per known user x UTC day with any activity (an AI request or a product event).
-- The base for active-user counts: distinct users over a window are counted from these rows,
-- never by adding daily distinct counts.

with

requests as (

    select * from {{ ref('fct_llm_requests') }}
    where user_id is not null

),

product_events as (

    select * from {{ ref('stg_llm__product_events') }}
    where reject_reason is null and user_id is not null

),

ai_days as (

    select
        user_id,
        request_date as activity_date,
        count(*) as ai_requests,
        count(distinct session_id) as ai_sessions,
        sum(cost_usd) as cost_usd
    from requests
    group by user_id, request_date

),

product_days as (

    select
        user_id,
        cast(occurred_at as date) as activity_date,
        count(*) as product_events
    from product_events
    group by user_id, cast(occurred_at as date)

),

final as (

    select
        {{ dbt.concat(['coalesce(ai_days.user_id, product_days.user_id)', "'|'",
            dbt.cast('coalesce(ai_days.activity_date, product_days.activity_date)', dbt.type_string())]) }}
            as user_day_id,
        coalesce(ai_days.user_id, product_days.user_id) as user_id,
        coalesce(ai_days.activity_date, product_days.activity_date) as activity_date,
        cast(coalesce(ai_days.ai_requests, 0) as bigint) as ai_requests,
        cast(coalesce(ai_days.ai_sessions, 0) as bigint) as ai_sessions,
        cast(coalesce(ai_days.cost_usd, 0) as {{ type_double() }}) as cost_usd,
        cast(coalesce(product_days.product_events, 0) as bigint) as product_events,
        coalesce(ai_days.ai_requests, 0) > 0 as is_ai_active
    from ai_days
    full outer join product_days
        on ai_days.user_id = product_days.user_id and ai_days.activity_date = product_days.activity_date

)

select * from final
