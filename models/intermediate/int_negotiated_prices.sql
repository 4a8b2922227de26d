-- Negotiated prices (seed negotiated_prices), one row per agreement with its validity
-- [valid_from, valid_to). An agreement's scope is either a tenant (tenant_id: every priced call of
-- that tenant) or a provider x model (provider and model_id, the genai-prices model id: every
-- tenant's calls to it). It gives either a discount_rate on the list price or explicit per-Mtok
-- prices. Empty unless var negotiated_prices_enabled is true, so the seed's example is off by
-- default and billed cost equals list cost.

with

agreements as (

    select * from {{ ref('negotiated_prices') }}

),

final as (

    select
        agreement_id,
        case when {{ blank_as_null('tenant_id') }} is not null then 'tenant' else 'provider_model' end
            as agreement_scope,
        {{ blank_as_null('tenant_id') }} as tenant_id,
        {{ blank_as_null('provider') }} as provider,
        {{ blank_as_null('model_id') }} as priced_model_id,
        cast(discount_rate as {{ type_double() }}) as discount_rate,
        cast(input_usd_per_mtok as {{ type_double() }}) as input_usd_per_mtok,
        cast(output_usd_per_mtok as {{ type_double() }}) as output_usd_per_mtok,
        -- explicit prices without a cache-read price bill cached tokens at the negotiated input price
        cast(coalesce(cached_input_usd_per_mtok, input_usd_per_mtok) as {{ type_double() }})
            as cached_input_usd_per_mtok,
        effective_from as valid_from,
        coalesce(effective_to, cast('{{ var("open_ended_timestamp") }}' as timestamp)) as valid_to
    from agreements
    where {{ 'true' if var('negotiated_prices_enabled') else 'false' }}

)

select * from final
