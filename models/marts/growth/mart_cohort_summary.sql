-- Grain: one row per signup week (cohort). Day-N retention: the share of the cohort's users,
-- among those whose signup day + N is within the data, who made an AI request on exactly that
-- day. Users whose day N lies before the first or after the last day of data are not eligible
-- (not counted lost): a product with users older than its data sees their real retention.

{%- set horizons = [1, 7, 30] %}

with

users as (

    select * from {{ ref('dim_users') }}

),

activity as (

    select * from {{ ref('fct_user_activity_daily') }}
    where is_ai_active

),

data_days as (

    select
        min(activity_date) as first_activity_date,
        max(activity_date) as last_activity_date
    from activity

),

per_user as (

    select
        users.signup_cohort_week,
        users.user_id,
        {%- for n in horizons %}
            cast({{ dbt.dateadd('day', n, 'users.signup_date') }} as date)
            between data_days.first_activity_date and data_days.last_activity_date as is_d{{ n }}_eligible,
            max(case
                when activity.activity_date = cast({{ dbt.dateadd('day', n, 'users.signup_date') }} as date) then 1
                else 0
            end) = 1 as is_d{{ n }}_retained{% if not loop.last %},{% endif %}
        {%- endfor %}
    from users
    cross join data_days
    left join activity on users.user_id = activity.user_id
    group by
        users.signup_cohort_week, users.user_id, users.signup_date,
        data_days.first_activity_date, data_days.last_activity_date

),

final as (

    select
        signup_cohort_week,
        cast(count(*) as bigint) as cohort_user_count,
        {%- for n in horizons %}
            cast(sum(case when is_d{{ n }}_eligible then 1 else 0 end) as bigint) as d{{ n }}_eligible_user_count,
            cast(sum(case when is_d{{ n }}_eligible and is_d{{ n }}_retained then 1 else 0 end) as bigint)
                as d{{ n }}_retained_user_count,
            {{ safe_divide(
                'sum(case when is_d' ~ n ~ '_eligible and is_d' ~ n ~ '_retained then 1 else 0 end)',
                'sum(case when is_d' ~ n ~ '_eligible then 1 else 0 end)'
            ) }} as d{{ n }}_retention_rate{% if not loop.last %},{% endif %}
        {%- endfor %}
    from per_user
    group by signup_cohort_week

)

select * from final
