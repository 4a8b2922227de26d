-- Grain: one row per calendar month (UTC) x customer segment. Anonymous calls form the segment
-- 'anonymous'; calls by users missing from dim_users form 'unknown'. The top three cost drivers
-- are the three most expensive models of the segment that month (rank 1 = most expensive), as
-- plain columns a BI tool can read.

with

requests as (

    select * from {{ ref('fct_llm_requests') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

segmented as (

    select
        cast({{ dbt.date_trunc('month', 'requests.request_date') }} as date) as activity_month,
        case
            when requests.user_id is null then 'anonymous'
            else coalesce(users.segment, 'unknown')
        end as segment,
        requests.user_id,
        {{ dbt.concat(['requests.provider', "'/'", 'requests.model_id']) }} as model_key,
        requests.cost_usd,
        requests.is_priced
    from requests
    left join users on requests.user_id = users.user_id

),

totals as (

    select
        activity_month,
        segment,
        sum(cost_usd) as cost_usd,
        count(distinct user_id) as users,
        count(*) as queries,
        sum(case when is_priced then 1 else 0 end) as priced_queries
    from segmented
    group by activity_month, segment

),

by_model as (

    select
        activity_month,
        segment,
        model_key,
        sum(cost_usd) as model_cost_usd,
        row_number() over (
            partition by activity_month, segment
            order by sum(cost_usd) desc nulls last, model_key
        ) as cost_rank
    from segmented
    group by activity_month, segment, model_key

),

final as (

    select
        {{ surrogate_key(['totals.activity_month', 'totals.segment']) }}
            as segment_month_id,
        totals.activity_month,
        totals.segment,
        cast(coalesce(totals.cost_usd, 0) as {{ type_double() }}) as cost_usd,
        cast(totals.users as bigint) as user_count,
        cast(totals.queries as bigint) as request_count,
        {{ safe_divide('totals.cost_usd', 'totals.users') }} as cost_per_user_usd,
        {{ safe_divide('totals.cost_usd', 'totals.priced_queries') }} as cost_per_request_usd,
        {%- for rank in [1, 2, 3] %}
            max(case when by_model.cost_rank = {{ rank }} then by_model.model_key end) as top{{ rank }}_model,
            cast(max(case when by_model.cost_rank = {{ rank }} then by_model.model_cost_usd end) as {{ type_double() }})
                as top{{ rank }}_cost_usd,
        {%- endfor %}
        {{ is_complete_period('totals.activity_month', 'month') }} as is_complete_period
    from totals
    left join by_model
        on totals.activity_month = by_model.activity_month and totals.segment = by_model.segment
    group by
        totals.activity_month, totals.segment, totals.cost_usd, totals.users, totals.queries, totals.priced_queries

)

select * from final
