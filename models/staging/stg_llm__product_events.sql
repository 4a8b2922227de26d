{{ config(materialized='table') }}

-- One row per product event, deduplicated on event_id (first received wins).

with

source as (

    select * from {{ source('llm', 'product_events') }}

),

ranked as (

    select
        *,
        row_number() over (partition by event_id order by received_at, occurred_at) as delivery_rank
    from source

),

renamed as (

    select
        event_id as product_event_id,
        occurred_at,
        received_at,
        user_id,
        session_id,
        lower(event_name) as event_name,
        {{ json_extract_text('properties', ['feature']) }} as feature_id
    from ranked
    where delivery_rank = 1 or event_id is null

),

validated as (

    select
        *,
        case
            when product_event_id is null then 'missing_event_id'
            when occurred_at is null then 'missing_occurred_at'
            when event_name is null then 'missing_event_name'
            when user_id is null and session_id is null then 'missing_user_and_session'
        end as reject_reason
    from renamed

)

select * from validated
