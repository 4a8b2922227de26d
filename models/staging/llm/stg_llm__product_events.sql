{{
    config(
        materialized='incremental',
        unique_key='staging_row_id',
        meta={'recent_column': 'received_at'}
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

deduplicated as (

    -- a missing event_id cannot be deduplicated: such rows are all kept (and rejected below)
    {{ deduplicate_first('scoped', 'event_id', 'received_at, occurred_at') }}

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
        coalesce(
            deduplicated.event_id,
            {{ dbt.concat(["'missing-event-id:'", dbt.hash(dbt.concat([
                dbt.cast('deduplicated.occurred_at', dbt.type_string()),
                dbt.cast('deduplicated.received_at', dbt.type_string()),
                'deduplicated.session_id', 'deduplicated.user_id', 'deduplicated.event_name'
            ]))]) }}
        ) as staging_row_id,
        deduplicated.event_id as product_event_id,
        deduplicated.occurred_at,
        deduplicated.received_at,
        deduplicated.user_id,
        deduplicated.session_id,
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
            when event_name is null then 'missing_event_name'
            when user_id is null and session_id is null then 'missing_user_and_session'
        end as reject_reason
    from renamed

)

select * from validated
