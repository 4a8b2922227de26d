{{
    config(
        materialized='incremental',
        unique_key='staging_row_id',
        meta={'recent_column': 'received_at'}
    )
}}

-- One row per feedback event, deduplicated on event_id (first received wins); the comment
-- is redacted. Rule breaks carry a reject_reason (see int_rejected_rows). Incremental like
-- stg_llm__requests.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

source as (

    select * from {{ source('llm', 'feedback_events') }}

),

scoped as (

    {{ events_to_stage('source') }}

),

deduplicated as (

    -- a missing event_id cannot be deduplicated: such rows are all kept (and rejected below)
    {{ deduplicate_first('scoped', 'event_id', 'received_at, occurred_at') }}

),

renamed as (

    select
        coalesce(
            event_id,
            {{ dbt.concat(["'missing-event-id:'", dbt.hash(dbt.concat([
                dbt.cast('occurred_at', dbt.type_string()), dbt.cast('received_at', dbt.type_string()),
                'session_id', 'user_id', 'request_id', 'feedback_type'
            ]))]) }}
        ) as staging_row_id,
        event_id as feedback_id,
        occurred_at,
        received_at,
        user_id,
        session_id,
        request_id,
        lower(feedback_type) as feedback_type,
        rating,
        {{ redact_pii('comment') }} as comment_redacted
    from deduplicated

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
