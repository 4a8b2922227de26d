{{
    config(
        materialized='incremental',
        unique_key='staging_row_id',
        meta={'recent_column': 'loaded_at'}
    )
}}

-- One row per product event, deduplicated on event_id (first received wins). Incremental like
-- stg_llm__requests: re-read event_ids received again within the lookback.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

source as (

    select * from {{ source('llm', 'product_events') }}

),

scoped as (

    {{ events_to_stage('source') }}

),

clamped as (

    -- received_at by the sender's clock, never after the load that brought the row (docs/loading.md)
    select
        *,
        {{ clamped_received_at('scoped') }} as clamped_received_at
    from scoped

),

keyed as (

    select
        *,
        {{ staging_row_id('event_id', [
            'occurred_at', 'received_at', 'session_id', 'user_id', 'event_name', 'properties'
        ]) }} as staging_row_id
    from clamped

),

deduplicated as (

    -- first received copy of each event (a row without an event_id is keyed by its content)
    {{ deduplicate_first('keyed', 'staging_row_id', 'clamped_received_at, occurred_at') }}

),

properties as (

    -- parse each distinct properties document once
    select
        properties,
        {{ json_extract_text('properties', ['feature']) }} as feature_id
    from (select distinct properties from deduplicated) as distinct_properties

),

renamed as (

    select
        deduplicated.staging_row_id,
        {{ blank_as_null('deduplicated.event_id') }} as product_event_id,
        deduplicated.occurred_at,
        deduplicated.clamped_received_at as received_at,
        deduplicated._loaded_at as loaded_at,
        deduplicated._load_id as load_id,
        {{ blank_as_null('deduplicated.user_id') }} as user_id,
        {{ blank_as_null('deduplicated.session_id') }} as session_id,
        lower(deduplicated.event_name) as event_name,
        properties.feature_id
    from deduplicated
    left join properties on deduplicated.properties = properties.properties

),

validated as (

    select
        *,
        case
            when product_event_id is null then 'missing_event_id'
            when occurred_at is null then 'missing_occurred_at'
            when occurred_at < cast('{{ var("earliest_occurred_at") }}' as timestamp) then 'occurred_too_early'
            when occurred_at > {{ dbt.dateadd('minute', var('clock_skew_tolerance_minutes'), 'received_at') }}
                then 'occurred_in_future'
            when event_name is null then 'missing_event_name'
            when user_id is null and session_id is null then 'missing_user_and_session'
        end as reject_reason
    from renamed

)

select * from validated
