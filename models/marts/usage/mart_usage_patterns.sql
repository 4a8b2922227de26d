-- Grain: one row per UTC day of week (1 = Monday ... 7 = Sunday) x hour of day (0-23), for
-- heat maps. requests_per_day divides by observed_day_count, the days with traffic in that cell.
-- Built from the hourly traffic (mart_performance_hourly: requests, and the distinct hours
-- that had any) and the user x cell pairs (partial_usage_pattern_users), both incremental, so a
-- run reads a few thousand rows and the pairs, not every call.

with

hours as (

    select
        {{ iso_day_of_week('activity_hour') }} as day_of_week,
        cast(extract(hour from activity_hour) as integer) as hour_of_day,
        activity_hour,
        request_count
    from {{ ref('mart_performance_hourly') }}

),

cells as (

    -- a cell's days are its distinct hours: each hour of the cell falls on a different day
    select
        day_of_week,
        hour_of_day,
        sum(request_count) as requests,
        count(distinct activity_hour) as observed_day_count
    from hours
    group by day_of_week, hour_of_day

),

cell_users as (

    select
        day_of_week,
        hour_of_day,
        count(*) as users
    from {{ ref('partial_usage_pattern_users') }}
    group by day_of_week, hour_of_day

),

final as (

    select
        {{ surrogate_key(['cells.day_of_week', 'cells.hour_of_day']) }} as cell_id,
        cast(cells.day_of_week as integer) as day_of_week,
        cast(cells.hour_of_day as integer) as hour_of_day,
        cast(cells.requests as bigint) as request_count,
        cast(coalesce(cell_users.users, 0) as bigint) as user_count,
        cast(cells.observed_day_count as bigint) as observed_day_count,
        {{ safe_divide('cells.requests', 'cells.observed_day_count') }} as requests_per_day
    from cells
    left join cell_users
        on cells.day_of_week = cell_users.day_of_week and cells.hour_of_day = cell_users.hour_of_day

)

select * from final
