-- One row per feedback event, deduplicated on event_id (first received wins); the comment
-- is redacted. Rule breaks carry a reject_reason (see int_rejected_rows).

with

source as (

    select * from {{ source('llm', 'feedback_events') }}

),

ranked as (

    select
        *,
        row_number() over (partition by event_id order by received_at, occurred_at) as delivery_rank
    from source

),

renamed as (

    select
        event_id as feedback_id,
        occurred_at,
        received_at,
        user_id,
        session_id,
        request_id,
        lower(feedback_type) as feedback_type,
        rating,
        {{ redact_pii('comment') }} as comment_redacted
    from ranked
    where delivery_rank = 1 or event_id is null

),

validated as (

    select
        *,
        case
            when feedback_id is null then 'missing_event_id'
            when occurred_at is null then 'missing_occurred_at'
            when request_id is null then 'missing_request_id'
            when
                feedback_type is null or feedback_type not in ({{ quoted_list(var('accepted_feedback_types')) }})
                then 'unknown_feedback_type'
            when feedback_type = 'rating' and (rating is null or rating < 1 or rating > 5)
                then 'rating_out_of_range'
        end as reject_reason
    from renamed

)

select * from validated
