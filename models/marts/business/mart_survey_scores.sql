-- Grain: one row per calendar month (UTC) x segment x plan with survey responses. Surveys are
-- product events (vars nps_survey_events, csat_survey_events) with a score; a user's last answer
-- to each survey kind (NPS, CSAT) in a month counts, once, so a user who answers twice neither
-- weighs double nor counts an answer they revised. Segment and plan are the user's current ones
-- (dim_users); users missing from it, or without one, are 'unknown'. A plain table: it reads the
-- survey events only, a small share of the product events.

with

users as (

    select * from {{ ref('dim_users') }}

),

survey_events as (

    select * from {{ ref('stg_llm__product_events') }}
    where
        reject_reason is null
        and user_id is not null
        and event_name in ({{ quoted_list(var('nps_survey_events') + var('csat_survey_events')) }})

),

responses as (

    select
        product_event_id,
        user_id,
        occurred_at,
        score,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as activity_month,
        case
            when event_name in ({{ quoted_list(var('nps_survey_events')) }}) then 'nps'
            else 'csat'
        end as survey
    from survey_events

),

last_responses as (

    -- each user's last answer per survey kind and month (ties: the greatest event id)
    select *
    from (
        select
            *,
            row_number() over (
                partition by user_id, survey, activity_month
                order by occurred_at desc, product_event_id desc
            ) as answer_rank
        from responses
    ) as ranked
    where answer_rank = 1

),

segmented as (

    select
        last_responses.activity_month,
        coalesce(users.segment, 'unknown') as segment,
        coalesce(users.plan, 'unknown') as plan,
        last_responses.user_id,
        last_responses.survey,
        last_responses.score
    from last_responses
    left join users on last_responses.user_id = users.user_id

),

totals as (

    select
        activity_month,
        segment,
        plan,
        count(distinct user_id) as respondents,
        sum(case when survey = 'nps' then 1 else 0 end) as nps_respondents,
        sum(case when survey = 'nps' and score >= {{ var('nps_promoter_min_score') }} then 1 else 0 end)
            as promoters,
        sum(
            case
                when
                    survey = 'nps'
                    and score > {{ var('nps_detractor_max_score') }}
                    and score < {{ var('nps_promoter_min_score') }}
                    then 1
                else 0
            end
        ) as passives,
        sum(case when survey = 'nps' and score <= {{ var('nps_detractor_max_score') }} then 1 else 0 end)
            as detractors,
        sum(case when survey = 'csat' then 1 else 0 end) as csat_respondents,
        sum(case when survey = 'csat' and score >= {{ var('csat_satisfied_min_score') }} then 1 else 0 end)
            as csat_satisfied,
        avg(case when survey = 'csat' then score end) as avg_csat
    from segmented
    group by activity_month, segment, plan

),

final as (

    select
        {{ surrogate_key(['activity_month', 'segment', 'plan']) }} as survey_month_id,
        activity_month,
        segment,
        plan,
        cast(respondents as bigint) as respondent_count,
        cast(nps_respondents as bigint) as nps_respondent_count,
        cast(promoters as bigint) as promoter_count,
        cast(passives as bigint) as passive_count,
        cast(detractors as bigint) as detractor_count,
        100 * {{ safe_divide('promoters - detractors', 'nps_respondents') }} as nps_score,
        cast(csat_respondents as bigint) as csat_respondent_count,
        cast(csat_satisfied as bigint) as csat_satisfied_count,
        {{ safe_divide('csat_satisfied', 'csat_respondents') }} as csat_rate,
        cast(avg_csat as {{ type_double() }}) as avg_csat_score,
        {{ is_complete_period('activity_month', 'month') }} as is_complete_period
    from totals

)

select * from final
