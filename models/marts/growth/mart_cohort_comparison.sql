-- Grain: one row per comparison dimension x value. Dimensions: 'segment', 'country', 'plan'
-- (from dim_users), 'experiment:<experiment_id>' (value = variant) and 'model_version' (value =
-- provider/model@version, grouping calls rather than users). Every figure is computed from the
-- calls in the group: users = distinct users with a call in it; conversion_rate = of those users
-- who entered the default funnel (var default_funnel), the share who reached its last step.

{%- set attributes = ['segment', 'country', 'plan'] %}

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

user_model_calls as (

    -- the additive figures per user and model version (900k rows from 10M calls): the user
    -- dimensions and the model versions both sum these instead of re-reading the calls
    select
        user_id,
        provider,
        model_id,
        model_version,
        count(*) as queries,
        sum(thumbs_up) as thumbs_up,
        sum(thumbs_down) as thumbs_down,
        sum(rating_sum) as rating_sum,
        sum(rating_count) as rating_count,
        sum(total_latency_ms) as latency_sum,
        count(total_latency_ms) as latency_count,
        sum(cost_usd) as cost_usd
    from calls
    group by user_id, provider, model_id, model_version

),

user_calls as (

    select
        user_id,
        sum(queries) as queries,
        sum(thumbs_up) as thumbs_up,
        sum(thumbs_down) as thumbs_down,
        sum(rating_sum) as rating_sum,
        sum(rating_count) as rating_count,
        sum(latency_sum) as latency_sum,
        sum(latency_count) as latency_count,
        sum(cost_usd) as cost_usd
    from user_model_calls
    where user_id is not null
    group by user_id

),

user_attributes as (

    -- the user dimensions (the attributes list above), unknown when missing
    select
        user_id,
        coalesce(segment, 'unknown') as segment,
        coalesce(country, 'unknown') as country,
        coalesce(plan, 'unknown') as plan
    from users

),

user_dimensions as (

    -- one row per user x dimension they fall in
    {%- for attribute in attributes %}
        select
            user_id,
            '{{ attribute }}' as dimension,
            {{ attribute }} as dimension_value
        from user_attributes
        union all
    {%- endfor %}
    select
        user_id,
        {{ dbt.concat(["'experiment:'", 'experiment_id']) }} as dimension,
        variant as dimension_value
    from experiments

),

user_dimension_metrics as (

    select
        user_dimensions.dimension,
        user_dimensions.dimension_value,
        count(*) as users,
        sum(user_calls.queries) as queries,
        sum(user_calls.thumbs_up) as thumbs_up,
        sum(user_calls.thumbs_down) as thumbs_down,
        sum(user_calls.rating_sum) as rating_sum,
        sum(user_calls.rating_count) as rating_count,
        {{ safe_divide('sum(user_calls.latency_sum)', 'sum(user_calls.latency_count)') }} as avg_latency_ms,
        sum(user_calls.cost_usd) as cost_usd
    from user_dimensions
    inner join user_calls on user_dimensions.user_id = user_calls.user_id
    group by user_dimensions.dimension, user_dimensions.dimension_value

),

attribute_latency as (

    -- percentiles need every call: one pass over the calls for all user attributes at once
    select
        users.segment,
        users.country,
        users.plan,
        {{ percentile_cont('calls.total_latency_ms', 0.95) }} as latency_p95_ms
    from calls
    inner join user_attributes as users
        on calls.user_id = users.user_id
    -- sqlfluff's duckdb dialect cannot parse grouping sets (standard SQL, in every engine here)
    group by grouping sets ((users.segment), (users.country), (users.plan))  -- noqa: PRS, RF02

),

experiment_latency as (

    select
        {{ dbt.concat(["'experiment:'", 'experiments.experiment_id']) }} as dimension,
        experiments.variant as dimension_value,
        {{ percentile_cont('calls.total_latency_ms', 0.95) }} as latency_p95_ms
    from calls
    inner join experiments on calls.user_id = experiments.user_id
    group by experiments.experiment_id, experiments.variant

),

user_dimension_latency as (

    {%- for attribute in attributes %}
        select
            '{{ attribute }}' as dimension,
            {{ attribute }} as dimension_value,
            latency_p95_ms
        from attribute_latency
        where {{ attribute }} is not null
        union all
    {%- endfor %}
    select * from experiment_latency

),

model_version_latency as (

    select
        provider,
        model_id,
        coalesce(model_version, 'unknown') as model_version_key,
        {{ percentile_cont('total_latency_ms', 0.95) }} as latency_p95_ms
    from calls
    group by provider, model_id, coalesce(model_version, 'unknown')

),

model_versions as (

    -- model versions group calls, not users
    select
        user_model_calls.*,
        coalesce(user_model_calls.model_version, 'unknown') as model_version_key,
        {{ dbt.concat([
            'provider', "'/'", 'model_id', "'@'", "coalesce(model_version, 'unknown')"
        ]) }} as dimension_value
    from user_model_calls

),

model_version_metrics as (

    select
        'model_version' as dimension,
        model_versions.dimension_value,
        count(model_versions.user_id) as users,
        sum(model_versions.queries) as queries,
        sum(model_versions.thumbs_up) as thumbs_up,
        sum(model_versions.thumbs_down) as thumbs_down,
        sum(model_versions.rating_sum) as rating_sum,
        sum(model_versions.rating_count) as rating_count,
        {{ safe_divide('sum(model_versions.latency_sum)', 'sum(model_versions.latency_count)') }}
            as avg_latency_ms,
        sum(model_versions.cost_usd) as cost_usd,
        max(model_version_latency.latency_p95_ms) as latency_p95_ms
    from model_versions
    inner join model_version_latency
        on
            model_versions.provider = model_version_latency.provider
            and model_versions.model_id = model_version_latency.model_id
            and model_versions.model_version_key = model_version_latency.model_version_key
    group by model_versions.dimension_value

),

call_metrics as (

    select
        user_dimension_metrics.*,
        user_dimension_latency.latency_p95_ms
    from user_dimension_metrics
    inner join user_dimension_latency
        on
            user_dimension_metrics.dimension = user_dimension_latency.dimension
            and user_dimension_metrics.dimension_value = user_dimension_latency.dimension_value
    union all
    select
        dimension,
        dimension_value,
        users,
        queries,
        thumbs_up,
        thumbs_down,
        rating_sum,
        rating_count,
        avg_latency_ms,
        cost_usd,
        latency_p95_ms
    from model_version_metrics

),

group_users as (

    select
        user_dimensions.dimension,
        user_dimensions.dimension_value,
        user_dimensions.user_id
    from user_dimensions
    inner join user_calls on user_dimensions.user_id = user_calls.user_id
    union all
    select
        'model_version' as dimension,
        dimension_value,
        user_id
    from model_versions
    where user_id is not null

),

conversion as (

    select
        group_users.dimension,
        group_users.dimension_value,
        count(user_conversion.user_id) as funnel_user_count,
        sum(user_conversion.converted) as converted_users
    from group_users
    inner join user_conversion on group_users.user_id = user_conversion.user_id
    group by group_users.dimension, group_users.dimension_value

),

final as (

    select
        {{ surrogate_key(['call_metrics.dimension', 'call_metrics.dimension_value']) }} as comparison_id,
        call_metrics.dimension,
        call_metrics.dimension_value,
        cast(call_metrics.users as bigint) as user_count,
        cast(call_metrics.queries as bigint) as request_count,
        {{ safe_divide('call_metrics.thumbs_up', 'call_metrics.thumbs_up + call_metrics.thumbs_down') }}
            as thumbs_up_rate,
        {{ safe_divide('call_metrics.rating_sum', 'call_metrics.rating_count') }} as avg_rating,
        cast(coalesce(conversion.funnel_user_count, 0) as bigint) as funnel_user_count,
        {{ safe_divide('conversion.converted_users', 'conversion.funnel_user_count') }} as conversion_rate,
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
