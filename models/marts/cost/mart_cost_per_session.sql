-- A view: a row-for-row projection of fct_llm_sessions, so copying millions of sessions into a
-- table on every build bought nothing.
{{ config(materialized='view') }}

-- Grain: one row per session: its cost, tokens and requests, and whether it went over the
-- per-session budget (var session_budget_usd, default 0.50 USD). Derived from fct_llm_sessions.

with

sessions as (

    select * from {{ ref('fct_llm_sessions') }}

),

final as (

    select
        session_id,
        user_id,
        feature_id,
        started_at,
        cast(started_at as date) as session_date,
        request_count,
        prompt_tokens,
        completion_tokens,
        cached_tokens,
        total_tokens,
        cost_usd,
        unpriced_request_count,
        {{ safe_divide('cost_usd', 'request_count - unpriced_request_count') }} as cost_per_request_usd,
        cast({{ var('session_budget_usd') }} as {{ type_double() }}) as budget_usd,
        is_over_budget
    from sessions

)

select * from final
