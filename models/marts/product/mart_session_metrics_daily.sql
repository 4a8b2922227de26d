-- Grain: one row per UTC day a session started x the session's feature (fct_llm_sessions.feature_id:
-- its calls' feature, the first by name when they differ). What sessions look like (calls per
-- session, duration to the last response), how they end (goal reached, refined, abandoned on
-- which turn) and what the user did next (restart within minutes, return within days).
-- A table, rebuilt whole: one pass over the sessions (a third of the calls) and the sparse
-- feedback and product events; a session's restart and return depend on the user's next
-- session, which a later load can add, so rebuilding whole is also what keeps it exact.

with

sessions as (

    select * from {{ ref('fct_llm_sessions') }}

),

requests as (

    select
        request_id,
        session_id,
        explicit_rating
    from {{ ref('fct_llm_requests') }}

),

feedback as (

    select * from {{ ref('fct_feedback') }}

),

product_events as (

    select * from {{ ref('stg_llm__product_events') }}
    where reject_reason is null

),

-- a goal event belongs to the session of the call it names, else to its own session
goal_signals as (

    select coalesce(requests.session_id, product_events.session_id) as session_id
    from product_events
    left join requests on product_events.request_id = requests.request_id
    where product_events.event_name in ({{ quoted_list(var('session_goal_events')) }})
    union
    select requests.session_id
    from feedback
    inner join requests on feedback.request_id = requests.request_id
    where feedback.is_positive
    union
    select session_id
    from requests
    where explicit_rating = 'up'

),

goal_sessions as (

    select distinct session_id from goal_signals

),

refined_sessions as (

    select distinct requests.session_id
    from feedback
    inner join requests on feedback.request_id = requests.request_id
    where feedback.feedback_type in ({{ quoted_list(var('refinement_feedback_types')) }})

),

ordered as (

    select
        sessions.*,
        -- the user's next session (anonymous sessions have no user: their next is never read)
        lead(sessions.started_at) over (
            partition by sessions.user_id order by sessions.started_at, sessions.session_id
        ) as next_started_at
    from sessions

),

flagged as (

    select
        ordered.session_id,
        cast(ordered.started_at as date) as activity_date,
        ordered.feature_id,
        ordered.request_count,
        ordered.duration_to_last_response_seconds,
        goal_sessions.session_id is not null as is_goal_reached,
        (ordered.regeneration_count > 0 or refined_sessions.session_id is not null) as is_refined,
        -- a next session within the window can only be seen when the data reaches the window's end
        (
            ordered.user_id is not null
            and {{ dbt.dateadd('minute', var('session_restart_window_minutes'), 'ordered.ended_at') }}
            <= {{ data_horizon() }}
        ) as is_restart_observable,
        coalesce(
            ordered.next_started_at
            <= {{ dbt.dateadd('minute', var('session_restart_window_minutes'), 'ordered.ended_at') }},
            false
        ) as is_restarted,
        (
            ordered.user_id is not null
            and {{ dbt.dateadd('day', var('session_return_window_days'), 'ordered.ended_at') }}
            <= {{ data_horizon() }}
        ) as is_return_observable,
        coalesce(
            ordered.next_started_at
            <= {{ dbt.dateadd('day', var('session_return_window_days'), 'ordered.ended_at') }},
            false
        ) as is_returned
    from ordered
    left join goal_sessions on ordered.session_id = goal_sessions.session_id
    left join refined_sessions on ordered.session_id = refined_sessions.session_id

),

aggregated as (

    select
        activity_date,
        feature_id,
        count(*) as sessions,
        sum(request_count) as requests,
        avg(cast(request_count as {{ type_double() }})) as avg_requests_per_session,
        {{ percentile_cont('request_count', 0.5) }} as requests_per_session_p50,
        {{ percentile_cont('request_count', 0.9) }} as requests_per_session_p90,
        avg(duration_to_last_response_seconds) as avg_duration_seconds,
        {{ percentile_cont('duration_to_last_response_seconds', 0.5) }} as duration_p50_seconds,
        {{ percentile_cont('duration_to_last_response_seconds', 0.9) }} as duration_p90_seconds,
        sum(case when is_goal_reached then 1 else 0 end) as goals,
        sum(case when is_refined then 1 else 0 end) as refined,
        sum(case when is_restart_observable then 1 else 0 end) as restart_observable_sessions,
        sum(case when is_restart_observable and is_restarted then 1 else 0 end) as restarted_sessions,
        sum(case when is_return_observable then 1 else 0 end) as return_observable_sessions,
        sum(case when is_return_observable and is_returned then 1 else 0 end) as returned_sessions,
        sum(case when is_goal_reached then 0 else 1 end) as abandoned_sessions,
        sum(case when not is_goal_reached and request_count = 1 then 1 else 0 end) as abandoned_after_1,
        sum(case when not is_goal_reached and request_count = 2 then 1 else 0 end) as abandoned_after_2,
        sum(case when not is_goal_reached and request_count = 3 then 1 else 0 end) as abandoned_after_3,
        sum(case when not is_goal_reached and request_count >= 4 then 1 else 0 end) as abandoned_after_4_plus
    from flagged
    group by activity_date, feature_id

),

final as (

    select
        {{ surrogate_key(['activity_date', "coalesce(feature_id, '')"]) }} as session_day_id,
        activity_date,
        feature_id,
        cast(sessions as bigint) as session_count,
        cast(requests as bigint) as request_count,
        cast(avg_requests_per_session as {{ type_double() }}) as avg_requests_per_session,
        cast(requests_per_session_p50 as {{ type_double() }}) as requests_per_session_p50,
        cast(requests_per_session_p90 as {{ type_double() }}) as requests_per_session_p90,
        cast(avg_duration_seconds as {{ type_double() }}) as avg_duration_seconds,
        cast(duration_p50_seconds as {{ type_double() }}) as duration_p50_seconds,
        cast(duration_p90_seconds as {{ type_double() }}) as duration_p90_seconds,
        cast(goals as bigint) as goal_session_count,
        {{ safe_divide('goals', 'sessions') }} as completion_rate,
        cast(refined as bigint) as refined_session_count,
        {{ safe_divide('refined', 'sessions') }} as refinement_rate,
        cast(restart_observable_sessions as bigint) as restart_observable_session_count,
        cast(restarted_sessions as bigint) as restarted_session_count,
        {{ safe_divide('restarted_sessions', 'restart_observable_sessions') }} as restart_rate,
        cast(return_observable_sessions as bigint) as return_observable_session_count,
        cast(returned_sessions as bigint) as returned_session_count,
        {{ safe_divide('returned_sessions', 'return_observable_sessions') }} as return_session_rate,
        cast(abandoned_sessions as bigint) as abandoned_session_count,
        {{ safe_divide('abandoned_sessions', 'sessions') }} as abandonment_rate,
        cast(abandoned_after_1 as bigint) as abandoned_after_1_count,
        cast(abandoned_after_2 as bigint) as abandoned_after_2_count,
        cast(abandoned_after_3 as bigint) as abandoned_after_3_count,
        cast(abandoned_after_4_plus as bigint) as abandoned_after_4_plus_count,
        {{ is_complete_period('activity_date', 'day') }} as is_complete_period
    from aggregated

)

select * from final
