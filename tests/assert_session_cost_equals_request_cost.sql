-- Invariant: every session's cost is the sum of its requests' cost (to a micro-dollar), and
-- the sessions' total equals the requests' total. Returns offending sessions.

with

requests as (

    select
        session_id,
        coalesce(sum(cost_usd), 0) as request_cost_usd,
        count(*) as request_count
    from {{ ref('fct_llm_requests') }}
    group by session_id

),

sessions as (

    select * from {{ ref('fct_llm_sessions') }}

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
