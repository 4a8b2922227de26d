{{
    config(
        materialized='incremental',
        unique_key='staging_row_id',
        meta={'recent_column': 'loaded_at'}
    )
}}

-- One row per evaluation score, deduplicated on event_id (first received wins). The evaluator's
-- comment, free text that may hold personal data, stops here: only has_comment leaves. Rule
-- breaks carry a reject_reason (see int_rejected_rows). Incremental like stg_llm__feedback_events.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

source as (

    select * from {{ source('llm', 'evaluation_scores') }}

),

-- the rows this run stages, the first received copy of each event (a row without an event_id is
-- keyed by its content), received_at clamped to the load (docs/loading.md)
deduplicated as (

    {{ first_received_events('source', [
        'occurred_at', 'received_at', 'request_id', 'session_id', 'score_name', 'score_value',
        'score_label', 'source', 'evaluator'
    ]) }}

),

renamed as (

    select
        staging_row_id,
        {{ blank_as_null('event_id') }} as evaluation_id,
        occurred_at,
        clamped_received_at as received_at,
        _loaded_at as loaded_at,
        _load_id as load_id,
        {{ blank_as_null('request_id') }} as request_id,
        {{ blank_as_null('session_id') }} as session_id,
        lower({{ blank_as_null('score_name') }}) as score_name,
        score_value,
        lower({{ blank_as_null('score_label') }}) as score_label,
        lower({{ blank_as_null('source') }}) as evaluation_source,
        {{ blank_as_null('evaluator') }} as evaluator,
        coalesce(trim(comment) <> '', false) as has_comment
    from deduplicated

),

validated as (

    select
        *,
        case
            when evaluation_id is null then 'missing_event_id'
            when occurred_at is null then 'missing_occurred_at'
            when occurred_at < cast('{{ var("earliest_occurred_at") }}' as timestamp) then 'occurred_too_early'
            when occurred_at > {{ dbt.dateadd('minute', var('clock_skew_tolerance_minutes'), 'received_at') }}
                then 'occurred_in_future'
            when request_id is null and session_id is null then 'missing_request_and_session'
            when score_name is null then 'missing_score_name'
            when {{ is_non_finite('score_value') }} then 'non_finite_number'
            when score_value is null and score_label is null then 'missing_score'
            when
                evaluation_source is null
                or evaluation_source not in ({{ quoted_list(var('accepted_evaluation_sources')) }})
                then 'unknown_source'
        end as reject_reason
    from renamed

)

select * from validated
