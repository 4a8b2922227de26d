{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC day x feature with calls. What users said (thumbs, ratings, explicit
-- participation) counts every call, failed ones included; what they did with an answer
-- (regenerations, edits, follow-ups, shares, saves, copies, zero results, implicit quality) is
-- over the successful responses. thumbs_up_rate and net_satisfaction_score are over calls with a
-- thumbs up or down, avg_rating over 1-5 ratings.
-- Incremental: every day with a call loaded, or given feedback, within the lookback is
-- recomputed whole.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

feedback as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_request_feedback') }}

),

requests as (

    {{ incremental_scope('all_requests', 'request_date', [
        touched_via(
            'all_requests', 'request_date', 'request_id', touched('feedback', 'request_id', 'last_loaded_at')
        ),
        incomplete_periods('activity_date'),
    ]) }}

),

aggregated as (

    select
        requests.request_date,
        requests.feature_id,
        count(*) as requests,
        sum(case when requests.is_error then 0 else 1 end) as responses,
        -- what users said: counted on every call, failed ones included (a thumbs down on an
        -- error is the clearest negative signal there is)
        sum(case when feedback.has_thumbs_up then 1 else 0 end) as thumbs_up,
        sum(case when feedback.has_thumbs_down then 1 else 0 end) as thumbs_down,
        sum(case when feedback.has_thumbs_down and requests.is_error then 1 else 0 end) as failed_thumbs_down,
        sum(feedback.rating_sum) as rating_sum,
        sum(feedback.rating_count) as rating_count,
        sum(case when feedback.has_explicit_feedback then 1 else 0 end) as explicit_requests,
        -- what users did with an answer: over successful responses only
        sum(case when not requests.is_error and requests.is_regenerated then 1 else 0 end) as regenerated,
        sum(case when not requests.is_error and requests.is_edited then 1 else 0 end) as edited,
        sum(case when not requests.is_error and feedback.has_follow_up then 1 else 0 end) as follow_ups,
        sum(case when not requests.is_error and feedback.has_share then 1 else 0 end) as shares,
        sum(case when not requests.is_error and feedback.has_save then 1 else 0 end) as saves,
        sum(case when not requests.is_error and feedback.has_copy then 1 else 0 end) as copies,
        avg(case when not requests.is_error then requests.implicit_quality_score end) as avg_implicit_quality_score,
        sum(case when not requests.is_error and requests.is_zero_result then 1 else 0 end) as zero_results,
        max(feedback.last_loaded_at) as last_loaded_at
    from requests
    inner join feedback on requests.request_id = feedback.request_id
    group by requests.request_date, requests.feature_id

),

final as (

    select
        {{ surrogate_key(['request_date', 'feature_id']) }} as satisfaction_day_id,
        request_date as activity_date,
        feature_id,
        cast(requests as bigint) as request_count,
        cast(responses as bigint) as response_count,
        cast(thumbs_up as bigint) as thumbs_up_count,
        cast(thumbs_down as bigint) as thumbs_down_count,
        cast(failed_thumbs_down as bigint) as failed_call_thumbs_down_count,
        {{ safe_divide('thumbs_up', 'thumbs_up + thumbs_down') }} as thumbs_up_rate,
        cast(rating_count as bigint) as rating_count,
        {{ safe_divide('rating_sum', 'rating_count') }} as avg_rating,
        {{ safe_divide('thumbs_up - thumbs_down', 'thumbs_up + thumbs_down') }} as net_satisfaction_score,
        {{ safe_divide('explicit_requests', 'requests') }} as explicit_participation_rate,
        {{ safe_divide('regenerated', 'responses') }} as regeneration_rate,
        {{ safe_divide('edited', 'responses') }} as edit_rate,
        {{ safe_divide('follow_ups', 'responses') }} as follow_up_rate,
        {{ safe_divide('shares', 'responses') }} as share_rate,
        {{ safe_divide('saves', 'responses') }} as save_rate,
        {{ safe_divide('copies', 'responses') }} as copy_rate,
        cast(avg_implicit_quality_score as {{ type_double() }}) as avg_implicit_quality_score,
        {{ safe_divide('zero_results', 'responses') }} as zero_result_rate,
        {{ is_complete_period('request_date', 'day') }} as is_complete_period,
        last_loaded_at
    from aggregated

)

select * from final
