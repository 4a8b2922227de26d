{{
    config(
        meta={'recent_column': 'loaded_at'}
    )
}}

-- Valid requests with their cost as of the time of the call:
--   (prompt - cached) x input + cached x cached_input + completion x output, per million tokens,
-- using the price row valid at occurred_at. Calls to models with no price, and successful calls
-- without token counts, keep cost_usd null and is_priced = false.

with

requests as (

    select * from {{ ref('int_llm_requests') }}
    where reject_reason is null

),

resolution as (

    select * from {{ ref('int_model_resolution') }}

),

prices as (

    select * from {{ ref('int_model_prices') }}

),

joined as (

    select
        requests.*,
        resolution.priced_model_id,
        prices.input_usd_per_mtok,
        prices.cached_input_usd_per_mtok,
        prices.output_usd_per_mtok,
        coalesce(requests.prompt_tokens, 0) - requests.cached_tokens as uncached_prompt_tokens
    from requests
    left join resolution
        on requests.provider = resolution.provider and requests.model_id = resolution.model_id
    left join prices
        on
            resolution.provider = prices.provider
            and resolution.priced_model_id = prices.priced_model_id
            and requests.occurred_at >= prices.valid_from
            and requests.occurred_at < prices.valid_to

),

usage as (

    -- a successful call without token counts (a stream without usage, in telemetry) cannot be
    -- priced: it is kept, unpriced; a failed call without them cost nothing
    select
        *,
        status = 'error' or (prompt_tokens is not null and completion_tokens is not null) as has_usage
    from joined

),

costed as (

    select
        *,
        input_usd_per_mtok is not null and has_usage as is_priced,
        case when has_usage then uncached_prompt_tokens * input_usd_per_mtok / 1000000.0 end as input_cost_usd,
        case when has_usage then cached_tokens * cached_input_usd_per_mtok / 1000000.0 end as cached_input_cost_usd,
        case when has_usage then coalesce(completion_tokens, 0) * output_usd_per_mtok / 1000000.0 end
            as output_cost_usd,
        case when has_usage then cached_tokens * (input_usd_per_mtok - cached_input_usd_per_mtok) / 1000000.0 end
            as cache_savings_usd
    from usage

),

final as (

    select
        *,
        input_cost_usd + cached_input_cost_usd + output_cost_usd as cost_usd
    from costed

)

select * from final
