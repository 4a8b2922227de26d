{{
    config(
        materialized='incremental',
        unique_key='request_id',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per valid LLM call: what feedback it received, from its own explicit_rating
-- and from feedback events, combined. A thumbs up counts once per call whichever way it came.
-- Incremental: calls loaded, or given feedback, within the lookback are recomputed.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

feedback as {{ not_materialized() }} (

    select * from {{ ref('int_feedback_by_request') }}

),

requests as (

    {{ incremental_scope('all_requests', 'request_id', [
        touched('all_requests', 'request_id'),
        touched('feedback', 'request_id', 'last_loaded_at'),
    ]) }}

),

final as (

    select
        requests.request_id,
        (
            coalesce(requests.explicit_rating = 'up', false) or coalesce(feedback.has_thumbs_up_event, false)
        ) as has_thumbs_up,
        (
            coalesce(requests.explicit_rating = 'down', false) or coalesce(feedback.has_thumbs_down_event, false)
        ) as has_thumbs_down,
        cast(coalesce(feedback.rating_count, 0) as bigint) as rating_count,
        cast(feedback.rating_sum as {{ type_double() }}) as rating_sum,
        {{ safe_divide('feedback.rating_sum', 'feedback.rating_count') }} as avg_rating,
        coalesce(feedback.has_follow_up, false) as has_follow_up,
        coalesce(feedback.has_share, false) as has_share,
        coalesce(feedback.has_save, false) as has_save,
        coalesce(feedback.has_copy, false) as has_copy,
        (
            coalesce(requests.explicit_rating in ('up', 'down'), false)
            or coalesce(feedback.has_thumbs_up_event, false)
            or coalesce(feedback.has_thumbs_down_event, false)
            or coalesce(feedback.rating_count, 0) > 0
        ) as has_explicit_feedback,
        case
            when feedback.last_loaded_at > requests.loaded_at then feedback.last_loaded_at
            else requests.loaded_at
        end as last_loaded_at
    from requests
    left join feedback on requests.request_id = feedback.request_id

)

select * from final
