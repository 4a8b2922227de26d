-- One row per rated or reacted-to request: which feedback it received. A thumbs up (or down)
-- counts once per request whether it came as a feedback event or as the call's explicit_rating
-- (fct_llm_request_feedback combines the flags per call).

with

feedback as (

    select * from {{ ref('stg_llm__feedback_events') }}
    where reject_reason is null

),

final as (

    select
        request_id,
        max(case when feedback_type = 'thumbs_up' then 1 else 0 end) = 1 as has_thumbs_up_event,
        max(case when feedback_type = 'thumbs_down' then 1 else 0 end) = 1 as has_thumbs_down_event,
        max(case when feedback_type = 'follow_up' then 1 else 0 end) = 1 as has_follow_up,
        max(case when feedback_type = 'share' then 1 else 0 end) = 1 as has_share,
        max(case when feedback_type = 'save' then 1 else 0 end) = 1 as has_save,
        max(case when feedback_type = 'copy' then 1 else 0 end) = 1 as has_copy,
        sum(case when feedback_type = 'rating' then rating end) as rating_sum,
        sum(case when feedback_type = 'rating' then 1 else 0 end) as rating_count,
        max(loaded_at) as last_loaded_at
    from feedback
    group by request_id

)

select * from final
