{{
    config(
        materialized='incremental',
        unique_key='activity_date',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Grain: one row per UTC day x feature x provider x model with at least one response (a
-- successful call with a query_hash and a response_hash). A duplicate generation is a response
-- whose response_hash equals that of an earlier response (by occurred_at, then request_id) to the
-- same query_hash, on any feature, model or session: the same answer paid for again (a
-- regeneration that gives the same answer is the worst case). The first response of each
-- query x answer pair (partial_first_responses) is not one; answers that differ only in case or
-- whitespace are the same answer (response_hash is over the normalised text).
-- Incremental: every day with a call loaded within the lookback is recomputed whole, and so is
-- every day whose first response of a pair was displaced by an earlier one loaded since (a late
-- call): that day's response is now a duplicate although nothing of its day was loaded.
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

first_responses as {{ not_materialized() }} (

    select * from {{ ref('partial_first_responses') }}

),

{%- set touched_days = [touched('all_requests', 'request_date'), incomplete_periods('activity_date')] %}
{%- if is_incremental() %}
    {%- set watermark = incremental_watermark() %}
    {#- a displaced first occurred after the new first that displaced it: start the scan there -#}
    {%- set earliest_new_first = scalar_literal(
        'select min(first_occurred_at) from ' ~ ref('partial_first_responses')
        ~ ' where first_loaded_at > ' ~ watermark, 'timestamp', '9999-12-31 00:00:00'
    ) %}
    {%- do touched_days.append(
        'select displaced.request_date from all_requests as displaced'
        ~ ' inner join first_responses as moved'
        ~ ' on displaced.query_hash = moved.query_hash and displaced.response_hash = moved.response_hash'
        ~ ' where moved.first_loaded_at > ' ~ watermark
        ~ ' and displaced.loaded_at <= ' ~ watermark
        ~ ' and displaced.occurred_at >= ' ~ earliest_new_first
    ) %}
{%- endif %}

requests as (

    {{ incremental_scope('all_requests', 'request_date', touched_days) }}

),

responses as (

    select
        requests.request_date,
        requests.feature_id,
        requests.provider,
        requests.model_id,
        requests.cost_usd,
        requests.loaded_at,
        requests.request_id <> first_responses.first_request_id as is_duplicate
    from requests
    inner join first_responses
        on
            requests.query_hash = first_responses.query_hash
            and requests.response_hash = first_responses.response_hash
    where requests.status = 'success'

),

aggregated as (

    select
        request_date,
        feature_id,
        provider,
        model_id,
        count(*) as responses,
        sum(case when is_duplicate then 1 else 0 end) as duplicates,
        sum(cost_usd) as cost_usd,
        sum(case when is_duplicate then cost_usd end) as wasted_cost_usd,
        max(loaded_at) as last_loaded_at
    from responses
    group by request_date, feature_id, provider, model_id

),

final as (

    select
        {{ surrogate_key(['request_date', "coalesce(feature_id, '')", 'provider', 'model_id']) }}
            as duplicate_day_id,
        request_date as activity_date,
        feature_id,
        provider,
        model_id,
        cast(responses as bigint) as response_count,
        cast(duplicates as bigint) as duplicate_response_count,
        {{ safe_divide('duplicates', 'responses') }} as duplicate_generation_rate,
        cast(coalesce(cost_usd, 0) as {{ type_double() }}) as response_cost_usd,
        cast(coalesce(wasted_cost_usd, 0) as {{ type_double() }}) as wasted_cost_usd,
        {{ is_complete_period('request_date', 'day') }} as is_complete_period,
        last_loaded_at
    from aggregated

)

select * from final
