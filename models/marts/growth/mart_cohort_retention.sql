-- Grain: one row per signup week (cohort) x weeks since signup, for the weeks the data covers:
-- from the cohort's week 0, or the first week with data if the cohort signed up before it (users
-- who signed up before the data starts are not counted lost in weeks nobody could see), to the
-- last week with data. A user is retained in a week when they made an AI request in it.

with

users as (

    select * from {{ ref('dim_users') }}

),

activity as (

    select * from {{ ref('fct_user_activity_daily') }}
    where is_ai_active

),

cohorts as (

    select
        signup_cohort_week,
        count(*) as cohort_user_count
    from users
    group by signup_cohort_week

),

weeks as (

    select cast(series_ts as date) as activity_week
    from {{ timestamp_series(
        '(select cast(' ~ dbt.date_trunc('week', 'min(activity_date)') ~ ' as timestamp) from activity)',
        '(select cast(' ~ dbt.date_trunc('week', 'max(activity_date)') ~ ' as timestamp) from activity)',
        '7 days'
    ) }}

),

spine as (

    select
        cohorts.signup_cohort_week,
        cohorts.cohort_user_count,
        weeks.activity_week
    from cohorts
    inner join weeks on cohorts.signup_cohort_week <= weeks.activity_week

),

active_weeks as (

    select distinct
        users.signup_cohort_week,
        users.user_id,
        cast({{ dbt.date_trunc('week', 'activity.activity_date') }} as date) as activity_week
    from activity
    inner join users on activity.user_id = users.user_id

),

retained as (

    select
        signup_cohort_week,
        activity_week,
        count(distinct user_id) as retained_user_count
    from active_weeks
    group by signup_cohort_week, activity_week

),

final as (

    select
        {{ surrogate_key(['spine.signup_cohort_week', 'spine.activity_week']) }} as cohort_week_id,
        spine.signup_cohort_week,
        spine.activity_week,
        cast({{ days_between('spine.signup_cohort_week', 'spine.activity_week') }} / 7 as integer)
            as weeks_since_signup,
        cast(spine.cohort_user_count as bigint) as cohort_user_count,
        cast(coalesce(retained.retained_user_count, 0) as bigint) as retained_user_count,
        {{ safe_divide('coalesce(retained.retained_user_count, 0)', 'spine.cohort_user_count') }} as retention_rate,
        {{ is_complete_period('spine.activity_week', 'week') }} as is_complete_period
    from spine
    left join retained
        on
            spine.signup_cohort_week = retained.signup_cohort_week
            and spine.activity_week = retained.activity_week

)

select * from final
