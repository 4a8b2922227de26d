{{
    config(
        materialized='incremental',
        unique_key='feedback_id',
        meta={'recent_column': 'loaded_at'}
    )
}}

-- One row per valid feedback event on an LLM call. Incremental on loaded_at (lookback var).
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_feedback as (

    select * from {{ ref('stg_llm__feedback_events') }}
    where reject_reason is null

),

feedback as (

    {{ incremental_scope('all_feedback') }}

),

final as (

    select
        feedback_id,
        request_id,
        session_id,
        user_id,
        occurred_at,
        received_at,
        loaded_at,
        cast(occurred_at as date) as feedback_date,
        feedback_type,
        cast(rating as integer) as rating,
        (feedback_type = 'thumbs_up' or (feedback_type = 'rating' and rating >= 4)) as is_positive,
        (feedback_type = 'thumbs_down' or (feedback_type = 'rating' and rating <= 2)) as is_negative,
        comment_redacted is not null as has_comment
    from feedback

)

select * from final
