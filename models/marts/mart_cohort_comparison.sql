-- Grain: one row per comparison dimension x value. Dimensions: 'segment', 'country', 'plan'
-- (from dim_users), 'experiment:<experiment_id>' (value = variant) and 'model_version' (value =
-- provider/model@version, grouping calls rather than users). Every figure is computed from the
-- calls in the group: users = distinct users with a call in it; conversion_rate = of those users
-- who entered the default funnel (var default_funnel), the share who reached its last step.

with

calls as (

    -- one narrow row per call with everything the comparison needs, joined once
    select
        requests.request_id,
        requests.user_id,
        requests.provider,
        requests.model_id,
        requests.model_version,
        requests.total_latency_ms,
        requests.cost_usd,
        case when feedback.has_thumbs_up then 1 else 0 end as thumbs_up,
        case when feedback.has_thumbs_down then 1 else 0 end as thumbs_down,
        feedback.rating_sum,
        feedback.rating_count
    from {{ ref('fct_llm_requests') }} as requests
    inner join {{ ref('fct_llm_request_feedback') }} as feedback
        on requests.request_id = feedback.request_id

),

users as (

    select * from {{ ref('dim_users') }}

),

experiments as (

    select * from {{ ref('dim_user_experiments') }}

),

progress as (

    select * from {{ ref('int_funnel_progress') }}
    where funnel_name = '{{ var("default_funnel") }}' and user_id is not null

),

last_step as (

    select max(step_order) as step_order
    from {{ ref('funnel_steps') }}
    where funnel_name = '{{ var("default_funnel") }}'

),

user_conversion as (

    select
        progress.user_id,
        max(case when progress.step_order = last_step.step_order then 1 else 0 end) as converted
    from progress
    cross join last_step
    group by progress.user_id

),

grouped as (

    {%- for attribute in ['segment', 'country', 'plan'] %}
        select
            '{{ attribute }}' as dimension,
            coalesce(users.{{ attribute }}, 'unknown') as dimension_value,
            calls.*
        from calls
        inner join users on calls.user_id = users.user_id
        union all
    {%- endfor %}
    select
        {{ dbt.concat(["'experiment:'", 'experiments.experiment_id']) }} as dimension,
        experiments.variant as dimension_value,
        calls.*
    from calls
    inner join experiments on calls.user_id = experiments.user_id
    union all
    select
        'model_version' as dimension,
        {{ dbt.concat([
            'calls.provider', "'/'", 'calls.model_id', "'@'", "coalesce(calls.model_version, 'unknown')"
        ]) }} as dimension_value,
        calls.*
    from calls

),

call_metrics as (

    select
        dimension,
        dimension_value,
        count(distinct user_id) as users,
        count(*) as queries,
        sum(thumbs_up) as thumbs_up,
        sum(thumbs_down) as thumbs_down,
        sum(rating_sum) as rating_sum,
        sum(rating_count) as rating_count,
        avg(total_latency_ms) as avg_latency_ms,
        {{ percentile_cont('total_latency_ms', 0.95) }} as latency_p95_ms,
        sum(cost_usd) as cost_usd
    from grouped
    group by dimension, dimension_value

),

group_users as (

    select distinct
        dimension,
        dimension_value,
        user_id
    from grouped
    where user_id is not null

),

conversion as (

    select
        group_users.dimension,
        group_users.dimension_value,
        count(user_conversion.user_id) as funnel_users,
        sum(user_conversion.converted) as converted_users
    from group_users
    inner join user_conversion on group_users.user_id = user_conversion.user_id
    group by group_users.dimension, group_users.dimension_value

),

final as (

    select
        {{ dbt.concat(['call_metrics.dimension', "'|'", 'call_metrics.dimension_value']) }} as comparison_id,
        call_metrics.dimension,
        call_metrics.dimension_value,
        cast(call_metrics.users as bigint) as users,
        cast(call_metrics.queries as bigint) as queries,
        {{ safe_divide('call_metrics.thumbs_up', 'call_metrics.thumbs_up + call_metrics.thumbs_down') }}
            as avg_satisfaction,
        {{ safe_divide('call_metrics.thumbs_up', 'call_metrics.thumbs_up + call_metrics.thumbs_down') }}
            as thumbs_up_rate,
        {{ safe_divide('call_metrics.rating_sum', 'call_metrics.rating_count') }} as avg_rating,
        cast(coalesce(conversion.funnel_users, 0) as bigint) as funnel_users,
        {{ safe_divide('conversion.converted_users', 'conversion.funnel_users') }} as conversion_rate,
        cast(call_metrics.avg_latency_ms as {{ type_double() }}) as avg_latency_ms,
        cast(call_metrics.latency_p95_ms as {{ type_double() }}) as latency_p95_ms,
        cast(coalesce(call_metrics.cost_usd, 0) as {{ type_double() }}) as cost_usd,
        {{ safe_divide('call_metrics.cost_usd', 'call_metrics.users') }} as cost_per_user_usd
    from call_metrics
    left join conversion
        on
            call_metrics.dimension = conversion.dimension
            and call_metrics.dimension_value = conversion.dimension_value

)

select * from final
