-- Invariant: every session's cost is the sum of its requests' cost (to a micro-dollar), and
-- the sessions' total equals the requests' total. Returns offending sessions.
-- With var test_recent_hours set (hourly builds, macros/test_scope.sql), only the sessions with a
-- call loaded in that window, or rebuilt in it, are reconciled: the ones the run rewrote.

{%- set recent_hours = var('test_recent_hours', none) %}

with

{% if recent_hours is not none %}

    recent_sessions as (

        select session_id from {{ ref('fct_llm_requests') }}
        where loaded_at >= (
            select {{ dbt.dateadd('hour', -1 * recent_hours, 'max(loaded_at)') }}
            from {{ ref('fct_llm_requests') }}
        )
        union
        select session_id from {{ ref('fct_llm_sessions') }}
        where last_loaded_at >= (
            select {{ dbt.dateadd('hour', -1 * recent_hours, 'max(last_loaded_at)') }}
            from {{ ref('fct_llm_sessions') }}
        )

    ),

{% endif %}

requests as (

    select
        session_id,
        coalesce(sum(cost_usd), 0) as request_cost_usd,
        count(*) as request_count
    from {{ ref('fct_llm_requests') }}
    {%- if recent_hours is not none %}
        where session_id in (select recent_sessions.session_id from recent_sessions)
    {%- endif %}
    group by session_id

),

sessions as (

    select * from {{ ref('fct_llm_sessions') }}
    {%- if recent_hours is not none %}
        where session_id in (select recent_sessions.session_id from recent_sessions)
    {%- endif %}

)

select
    coalesce(sessions.session_id, requests.session_id) as session_id,
    sessions.cost_usd as session_cost_usd,
    requests.request_cost_usd
from sessions
full outer join requests on sessions.session_id = requests.session_id
where
    sessions.session_id is null
    or requests.session_id is null
    or abs(sessions.cost_usd - requests.request_cost_usd) > 0.000001
    or sessions.request_count != requests.request_count
