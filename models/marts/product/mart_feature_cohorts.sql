-- Grain: one row per feature x first-use week (the cohort: known users by the week of their first
-- call with the feature) x activity week, for the weeks the data covers: from the cohort's week
-- to the last week with data. Retained in a week = a call with that feature in it. The first
-- week of data holds every earlier user too (their first use may be before the data starts):
-- is_left_censored says so. Calls without a feature are not in any cohort.
-- A table, rebuilt whole: one pass over the calls grouped to user x feature x week; a user's
-- first use can move earlier with a late call, which moves them between cohorts.

with

requests as (

    select
        user_id,
        feature_id,
        cast({{ dbt.date_trunc('week', 'request_date') }} as date) as activity_week
    from {{ ref('fct_llm_requests') }}
    where user_id is not null and feature_id is not null

),

user_weeks as (

    select
        user_id,
        feature_id,
        activity_week,
        count(*) as requests
    from requests
    group by user_id, feature_id, activity_week

),

first_use as (

    select
        user_id,
        feature_id,
        min(activity_week) as first_use_week
    from user_weeks
    group by user_id, feature_id

),

cohorts as (

    select
        feature_id,
        first_use_week,
        count(*) as cohort_users
    from first_use
    group by feature_id, first_use_week

),

data_weeks as (

    select
        min(activity_week) as first_week,
        max(activity_week) as last_week
    from user_weeks

),

weeks as (

    select cast(series_ts as date) as activity_week
    from {{ timestamp_series(
        '(select cast(first_week as timestamp) from data_weeks)',
        '(select cast(last_week as timestamp) from data_weeks)',
        '7 days'
    ) }}

),

spine as (

    select
        cohorts.feature_id,
        cohorts.first_use_week,
        cohorts.cohort_users,
        weeks.activity_week
    from cohorts
    inner join weeks on cohorts.first_use_week <= weeks.activity_week

),

retained as (

    select
        first_use.feature_id,
        first_use.first_use_week,
        user_weeks.activity_week,
        count(*) as retained_users,
        sum(user_weeks.requests) as requests
    from user_weeks
    inner join first_use
        on user_weeks.user_id = first_use.user_id and user_weeks.feature_id = first_use.feature_id
    group by first_use.feature_id, first_use.first_use_week, user_weeks.activity_week

),

final as (

    select
        {{ surrogate_key(['spine.feature_id', 'spine.first_use_week', 'spine.activity_week']) }}
            as feature_cohort_week_id,
        spine.feature_id,
        spine.first_use_week,
        spine.activity_week,
        cast({{ days_between('spine.first_use_week', 'spine.activity_week') }} / 7 as integer)
            as weeks_since_first_use,
        cast(spine.cohort_users as bigint) as cohort_user_count,
        cast(coalesce(retained.retained_users, 0) as bigint) as retained_user_count,
        {{ safe_divide('coalesce(retained.retained_users, 0)', 'spine.cohort_users') }} as retention_rate,
        cast(coalesce(retained.requests, 0) as bigint) as request_count,
        {{ safe_divide('retained.requests', 'retained.retained_users') }} as requests_per_retained_user,
        spine.first_use_week = data_weeks.first_week as is_left_censored,
        {{ is_complete_period('spine.activity_week', 'week') }} as is_complete_period
    from spine
    left join retained
        on
            spine.feature_id = retained.feature_id
            and spine.first_use_week = retained.first_use_week
            and spine.activity_week = retained.activity_week
    cross join data_weeks

)

select * from final
