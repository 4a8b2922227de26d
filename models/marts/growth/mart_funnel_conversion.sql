-- Grain: one row per funnel x entry week x step (from the funnel_steps seed; every step is
-- present, with 0 users when nobody reached it). Ordered and windowed as int_funnel_progress
-- describes. A step is a bottleneck when its drop-off from the previous step exceeds var
-- funnel_bottleneck_drop_off (default 0.20).

with

progress as (

    select * from {{ ref('int_funnel_progress') }}

),

steps as (

    select * from {{ ref('funnel_steps') }}

),

weeks as (

    select distinct
        funnel_name,
        entry_week
    from progress

),

spine as (

    select
        weeks.funnel_name,
        weeks.entry_week,
        steps.step_order,
        steps.event_name
    from weeks
    inner join steps on weeks.funnel_name = steps.funnel_name

),

reached as (

    select
        funnel_name,
        entry_week,
        step_order,
        count(distinct actor_id) as reached_user_count
    from progress
    group by funnel_name, entry_week, step_order

),

counted as (

    select
        spine.funnel_name,
        spine.entry_week,
        spine.step_order,
        spine.event_name,
        coalesce(reached.reached_user_count, 0) as reached_user_count
    from spine
    left join reached
        on
            spine.funnel_name = reached.funnel_name
            and spine.entry_week = reached.entry_week
            and spine.step_order = reached.step_order

),

compared as (

    select
        *,
        lag(reached_user_count) over (partition by funnel_name, entry_week order by step_order) as previous_reached,
        first_value(reached_user_count) over (partition by funnel_name, entry_week order by step_order) as started
    from counted

),

windowed as (

    -- complete once the data reaches the end of the entry week plus the conversion window
    select
        *,
        coalesce(
            {{ dbt.dateadd('day', 7 + var('funnel_conversion_window_days'), 'entry_week') }} <= {{ data_horizon() }},
            false
        ) as is_complete_period
    from compared

),

final as (

    select
        {{ surrogate_key(['funnel_name', 'entry_week', 'step_order']) }} as funnel_step_week_id,
        funnel_name,
        entry_week,
        cast(step_order as integer) as step_order,
        event_name,
        cast(reached_user_count as bigint) as reached_user_count,
        case
            when previous_reached is null then 1.0
            else {{ safe_divide('reached_user_count', 'previous_reached') }}
        end as step_conversion_rate,
        {{ safe_divide('reached_user_count', 'started') }} as overall_conversion_rate,
        case
            when previous_reached is null then 0.0
            else 1 - {{ safe_divide('reached_user_count', 'previous_reached') }}
        end as drop_off_rate,
        is_complete_period,
        -- an entry week still inside its conversion window is still converting: never a bottleneck
        coalesce(
            is_complete_period
            and previous_reached is not null
            and 1 - {{ safe_divide('reached_user_count', 'previous_reached') }}
            > {{ var('funnel_bottleneck_drop_off') }},
            false
        ) as is_bottleneck
    from windowed

)

select * from final
