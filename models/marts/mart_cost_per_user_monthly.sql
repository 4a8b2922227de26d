-- Grain: one row per calendar month (UTC) x known user with AI traffic. Anonymous calls have
-- no user and are not here (see mart_cost_by_segment's 'anonymous' segment).

with

requests as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'request_date') }} as date) as cost_month
    from {{ ref('fct_llm_requests') }}
    where user_id is not null

),

final as (

    select
        {{ dbt.concat([dbt.cast('cost_month', dbt.type_string()), "'|'", 'user_id']) }} as user_month_id,
        cost_month,
        user_id,
        cast(coalesce(sum(cost_usd), 0) as {{ type_double() }}) as cost_usd,
        cast(count(*) as bigint) as queries,
        cast(sum(total_tokens) as bigint) as tokens,
        cast(sum(case when is_priced then 0 else 1 end) as bigint) as unpriced_queries
    from requests
    group by cost_month, user_id

)

select * from final
