{{
    config(
        meta={'recent_column': 'loaded_at'}
    )
}}

-- Valid requests with their cost as of the time of the call:
--   (prompt - cached) x input + cached x cached_input + completion x output, per million tokens,
-- using the price row valid at occurred_at. Calls to models with no price, and successful calls
-- without token counts, keep cost_usd null and is_priced = false. price_key and
-- price_effective_from name the price row used.
-- billed_cost_usd is the cost after a negotiated agreement (int_negotiated_prices, off by default)
-- valid at occurred_at: a tenant's agreement first, else one for the provider x priced model; a
-- discount_rate takes that share off cost_usd, explicit prices re-price the tokens. Without an
-- agreement billed_cost_usd = cost_usd. Agreements of one scope never overlap in time (tested),
-- so each join finds at most one.

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

agreements as (

    select * from {{ ref('int_negotiated_prices') }}

),

joined as (

    select
        requests.*,
        resolution.priced_model_id,
        prices.price_key,
        prices.valid_from as price_effective_from,
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

listed as (

    select
        *,
        input_cost_usd + cached_input_cost_usd + output_cost_usd as cost_usd
    from costed

),

negotiated as (

    select
        listed.*,
        coalesce(by_tenant.agreement_id, by_model.agreement_id) as negotiated_agreement_id,
        case
            when by_tenant.agreement_id is not null then by_tenant.discount_rate
            else by_model.discount_rate
        end as negotiated_discount_rate,
        case
            when by_tenant.agreement_id is not null then by_tenant.input_usd_per_mtok
            else by_model.input_usd_per_mtok
        end as negotiated_input_usd_per_mtok,
        case
            when by_tenant.agreement_id is not null then by_tenant.cached_input_usd_per_mtok
            else by_model.cached_input_usd_per_mtok
        end as negotiated_cached_input_usd_per_mtok,
        case
            when by_tenant.agreement_id is not null then by_tenant.output_usd_per_mtok
            else by_model.output_usd_per_mtok
        end as negotiated_output_usd_per_mtok
    from listed
    left join agreements as by_tenant
        on
            listed.is_priced
            and by_tenant.agreement_scope = 'tenant'
            and listed.tenant_id = by_tenant.tenant_id
            and listed.occurred_at >= by_tenant.valid_from
            and listed.occurred_at < by_tenant.valid_to
    left join agreements as by_model
        on
            listed.is_priced
            and by_model.agreement_scope = 'provider_model'
            and listed.provider = by_model.provider
            and listed.priced_model_id = by_model.priced_model_id
            and listed.occurred_at >= by_model.valid_from
            and listed.occurred_at < by_model.valid_to

),

final as (

    select
        *,
        case
            when negotiated_agreement_id is null then cost_usd
            when negotiated_input_usd_per_mtok is not null
                then (
                    uncached_prompt_tokens * negotiated_input_usd_per_mtok
                    + cached_tokens * negotiated_cached_input_usd_per_mtok
                    + coalesce(completion_tokens, 0) * negotiated_output_usd_per_mtok
                ) / 1000000.0
            else cost_usd * (1 - negotiated_discount_rate)
        end as billed_cost_usd
    from negotiated

)

select * from final
