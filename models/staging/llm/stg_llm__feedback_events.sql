{{
    config(
        materialized='incremental',
        unique_key='staging_row_id',
        meta={'recent_column': 'loaded_at'}
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

-- the rows this run stages, the first received copy of each event (a row without an event_id is
-- keyed by its content), received_at clamped to the load (docs/loading.md)
deduplicated as (

    {{ first_received_events('source', [
        'occurred_at', 'received_at', 'session_id', 'user_id', 'request_id', 'feedback_type', 'rating'
    ]) }}

),

renamed as (

    select
        staging_row_id,
        {{ blank_as_null('event_id') }} as feedback_id,
        occurred_at,
        clamped_received_at as received_at,
        _loaded_at as loaded_at,
        _load_id as load_id,
        {{ blank_as_null('user_id') }} as user_id,
        {{ blank_as_null('session_id') }} as session_id,
        {{ blank_as_null('request_id') }} as request_id,
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
            when occurred_at < cast('{{ var("earliest_occurred_at") }}' as timestamp) then 'occurred_too_early'
            when occurred_at > {{ dbt.dateadd('minute', var('clock_skew_tolerance_minutes'), 'received_at') }}
                then 'occurred_in_future'
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
