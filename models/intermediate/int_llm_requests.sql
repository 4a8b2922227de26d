{{
    config(
        meta={'recent_column': 'loaded_at'}
    )
}}

-- Every LLM call, from the application's own events (stg_llm__requests) and from OpenTelemetry
-- spans (int_otel_llm_calls), in one set of columns: the one input of pricing, topics and the
-- facts, so telemetry needs no second set of marts. Rejected calls are here too, with their
-- reason; source_table says where each came from. Hourly builds test only the rows loaded in
-- the last var test_recent_hours (meta.recent_column).

with

events as (

    select * from {{ ref('stg_llm__requests') }}

),

telemetry as (

    select * from {{ ref('int_otel_llm_calls') }}

),

unioned as (

    select
        {%- for column in request_columns() %}
            {{ column }},
        {%- endfor %}
        'llm_requests' as source_table
    from events
    union all
    select
        {%- for column in request_columns() %}
            {{ column }},
        {%- endfor %}
        'otel_spans' as source_table
    from telemetry

)

select * from unioned
