-- Materialized: two marts and its tests read it, and it is the costliest view to rerun.
{{
    config(
        materialized='incremental',
        unique_key='entry_week',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- Ordered funnel progress, driven by the funnel_steps seed. An actor (the user, or the session
-- for anonymous traffic) enters a funnel at their first step-1 event of a week; they reach step n
-- at their first step-n event after reaching step n-1, and within var funnel_conversion_window_days
-- of entering. Grain: one row per funnel x actor x entry week x step reached.
-- Incremental: a step event loaded within the lookback can change the entries of its week and
-- the progress of entries up to funnel_conversion_window_days before it, so every entry week from
-- the week of (earliest such event - window) on is recomputed whole, from its events on.

{#- Steps are matched one after another without a join: a window over each actor's time line
    finds the next step event (a range self-join per step fans out to entries x events per actor,
    which never finished on PostgreSQL at 10M events). var funnel_max_steps bounds how many steps
    a funnel may have (unused steps cost a pass over the previous step's rows). -#}
{%- set max_steps = var('funnel_max_steps') %}
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

steps as (

    select * from {{ ref('funnel_steps') }}

),

all_step_events as {{ not_materialized() }} (

    select
        steps.funnel_name,
        steps.step_order,
        steps.event_name,
        coalesce(events.user_id, {{ dbt.concat(["'session:'", 'events.session_id']) }}) as actor_id,
        events.user_id,
        events.occurred_at,
        events.loaded_at
    from {{ ref('stg_llm__product_events') }} as events
    inner join steps on events.event_name = steps.event_name
    where events.reject_reason is null

),

{%- set first_touched = incremental_scope_start(
    'all_step_events', 'occurred_at', touched('all_step_events', 'occurred_at')
) %}

step_events as (

    -- the events of every entry week a step loaded since the watermark can change: from the
    -- week of its occurred_at minus the conversion window on
    select * from all_step_events
    where occurred_at >= cast({{ dbt.date_trunc('week', dbt.dateadd(
        'day', -1 * var('funnel_conversion_window_days'), first_touched
    )) }} as date)

),

entries as (

    select
        funnel_name,
        actor_id,
        min(user_id) as user_id,
        cast({{ dbt.date_trunc('week', 'occurred_at') }} as date) as entry_week,
        min(occurred_at) as entered_at,
        max(loaded_at) as last_loaded_at
    from step_events
    where step_order = 1
    group by funnel_name, actor_id, cast({{ dbt.date_trunc('week', 'occurred_at') }} as date)

),

reached_1 as (

    select
        funnel_name,
        actor_id,
        user_id,
        entry_week,
        entered_at,
        last_loaded_at,
        entered_at as reached_at
    from entries

),

{%- for n in range(2, max_steps + 1) %}

    -- each actor's step-{{ n - 1 }} rows and step-{{ n }} events in one time line, read backwards: the
    -- running min over what is later is the first step-{{ n }} event at or after each step-{{ n - 1 }} row
    timeline_{{ n }} as (

        select
            funnel_name,
            actor_id,
            user_id,
            entry_week,
            entered_at,
            last_loaded_at,
            reached_at as at_time,
            0 as is_step_event
        from reached_{{ n - 1 }}
        union all
        select
            funnel_name,
            actor_id,
            user_id,
            null as entry_week,
            null as entered_at,
            null as last_loaded_at,
            occurred_at as at_time,
            1 as is_step_event
        from step_events
        where step_order = {{ n }}

    ),

    next_{{ n }} as (

        select
            funnel_name,
            actor_id,
            user_id,
            entry_week,
            entered_at,
            last_loaded_at,
            is_step_event,
            min(case when is_step_event = 1 then at_time end) over (
                partition by funnel_name, actor_id
                order by at_time desc, is_step_event desc
                rows between unbounded preceding and current row
            ) as next_at
        from timeline_{{ n }}

    ),

    reached_{{ n }} as (

        select
            funnel_name,
            actor_id,
            user_id,
            entry_week,
            entered_at,
            last_loaded_at,
            next_at as reached_at
        from next_{{ n }}
        where
            is_step_event = 0
            and next_at <= {{ dbt.dateadd('day', var('funnel_conversion_window_days'), 'entered_at') }}

    ),

{%- endfor %}

unioned as (

    {%- for n in range(1, max_steps + 1) %}
        select
            funnel_name,
            actor_id,
            user_id,
            entry_week,
            entered_at,
            last_loaded_at,
            {{ n }} as step_order,
            reached_at
        from reached_{{ n }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        unioned.funnel_name,
        unioned.actor_id,
        unioned.user_id,
        unioned.entry_week,
        unioned.entered_at,
        cast(unioned.step_order as integer) as step_order,
        steps.event_name,
        unioned.reached_at,
        unioned.last_loaded_at
    from unioned
    inner join steps
        on unioned.funnel_name = steps.funnel_name and unioned.step_order = steps.step_order

)

select * from final
