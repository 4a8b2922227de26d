{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail'
    )
}}

-- Each distinct query (query_hash) x known user who sent it: the exact base for a query's
-- unique_users over all time, kept incrementally (a distinct count cannot be summed over days).
-- Grain: one row per query_hash x user_id. Incremental: pairs from calls received within the
-- lookback that are not here yet are appended; a pair never goes away (calls are never removed).

with

requests as (

    select * from {{ ref('fct_llm_requests') }}
    where query_hash is not null and user_id is not null
    {% if is_incremental() %}
        and received_at >= {{ incremental_watermark('first_received_at') }}
    {% endif %}

),

pairs as (

    select
        query_hash,
        user_id,
        min(received_at) as first_received_at
    from requests
    group by query_hash, user_id

),

final as (

    select pairs.*
    from pairs
    {% if is_incremental() -%}
        where not exists (
            select 1
            from {{ this }} as known
            where known.query_hash = pairs.query_hash and known.user_id = pairs.user_id
        )
    {%- endif %}

)

select * from final
