-- Grain: one row per UTC day with AI traffic. How much the AI is used.

with

requests as (

    select * from {{ ref('fct_llm_requests') }}

),

first_use as (

    select
        user_id,
        min(request_date) as first_request_date
    from requests
    where user_id is not null
    group by user_id

),

daily as (

    select
        request_date,
        count(*) as query_volume,
        count(distinct user_id) as active_users,
        count(distinct session_id) as sessions,
        sum(case when is_anonymous then 1 else 0 end) as anonymous_requests
    from requests
    group by request_date

),

new_users as (

    select
        first_request_date as request_date,
        count(*) as new_users
    from first_use
    group by first_request_date

),

final as (

    select
        daily.request_date as activity_date,
        cast(daily.query_volume as bigint) as query_volume,
        cast(daily.active_users as bigint) as active_users,
        {{ safe_divide('daily.query_volume - daily.anonymous_requests', 'daily.active_users') }}
            as queries_per_user,
        cast(daily.sessions as bigint) as sessions,
        cast(coalesce(new_users.new_users, 0) as bigint) as new_users,
        cast(daily.anonymous_requests as bigint) as anonymous_requests
    from daily
    left join new_users on daily.request_date = new_users.request_date

)

select * from final
