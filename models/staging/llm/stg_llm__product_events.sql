{{
    config(
        materialized='incremental',
        unique_key='staging_row_id',
        meta={'recent_column': 'loaded_at'}
    )
}}

-- One row per product event, deduplicated on event_id (first received wins). Incremental like
-- stg_llm__requests: re-read event_ids received again within the lookback. Revenue events (var
-- revenue_events) carry amount_usd, survey responses (vars nps_survey_events, csat_survey_events)
-- a score on their scale; a missing, negative, non-finite or off-scale value is a reject_reason.
-- Why an incremental run equals a full refresh: docs/incremental.md.
{%- set nps_events = quoted_list(var('nps_survey_events')) %}
{%- set csat_events = quoted_list(var('csat_survey_events')) %}
{%- set nps_scale = var('nps_scale') %}
{%- set csat_scale = var('csat_scale') %}

with

source as (

    select * from {{ source('llm', 'product_events') }}

),

-- the rows this run stages, the first received copy of each event (a row without an event_id is
-- keyed by its content), received_at clamped to the load (docs/loading.md)
deduplicated as (

    {{ first_received_events('source', [
        'occurred_at', 'received_at', 'session_id', 'user_id', 'event_name', 'properties'
    ]) }}

),

properties as (

    -- parse each distinct properties document once
    select
        properties,
        {{ json_extract_text('properties', ['feature']) }} as feature_id,
        {{ json_extract_text('properties', ['request_id']) }} as request_id
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
        properties.feature_id,
        {{ blank_as_null('properties.request_id') }} as request_id,
        cast(deduplicated.amount_usd as {{ type_double() }}) as amount_usd,
        cast(deduplicated.score as {{ type_double() }}) as score
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
            when {{ is_non_finite('amount_usd') }} or {{ is_non_finite('score') }} then 'non_finite_number'
            when amount_usd < 0 then 'negative_amount'
            when event_name in ({{ quoted_list(var('revenue_events')) }}) and amount_usd is null
                then 'missing_amount'
            when event_name in ({{ nps_events }}, {{ csat_events }}) and score is null then 'missing_score'
            when
                event_name in ({{ nps_events }})
                and (score < {{ nps_scale[0] }} or score > {{ nps_scale[1] }} or score <> floor(score))
                then 'score_out_of_range'
            when
                event_name in ({{ csat_events }})
                and (score < {{ csat_scale[0] }} or score > {{ csat_scale[1] }} or score <> floor(score))
                then 'score_out_of_range'
        end as reject_reason
    from renamed

)

select * from validated
