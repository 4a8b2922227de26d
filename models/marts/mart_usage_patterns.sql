-- Grain: one row per UTC day of week (1 = Monday ... 7 = Sunday) x hour of day (0-23), for
-- heat maps. requests_per_day divides by the number of such weekdays in the data's span.

with

requests as (

    select * from {{ ref('fct_llm_requests') }}

),

cells as (

    select
        {{ iso_day_of_week('occurred_at') }} as day_of_week,
        cast(extract(hour from occurred_at) as integer) as hour_of_day,
        count(*) as requests,
        count(distinct user_id) as users,
        count(distinct request_date) as days_observed
    from requests
    group by 1, 2

),

final as (

    select
        {{ dbt.concat([
            dbt.cast('day_of_week', dbt.type_string()), "'|'", dbt.cast('hour_of_day', dbt.type_string())
        ]) }} as cell_id,
        cast(day_of_week as integer) as day_of_week,
        cast(hour_of_day as integer) as hour_of_day,
        cast(requests as bigint) as requests,
        cast(users as bigint) as users,
        cast(days_observed as bigint) as days_observed,
        {{ safe_divide('requests', 'days_observed') }} as requests_per_day
    from cells

)

select * from final
