-- Token prices per provider and model with their validity period [valid_from, valid_to).
-- The current price has no effective_to in the seed; here it is valid until far in the future.
-- price_key names the seed row (provider|model_id|effective_from, unique: tested), so every priced
-- call can say which price it used.

with

prices as (

    select * from {{ ref('model_prices') }}

),

final as (

    select
        {{ surrogate_key(['provider', 'model_id', 'effective_from']) }} as price_key,
        provider,
        model_id as priced_model_id,
        cast(input_usd_per_mtok as {{ type_double() }}) as input_usd_per_mtok,
        cast(output_usd_per_mtok as {{ type_double() }}) as output_usd_per_mtok,
        -- a model without a cache-read price bills cached tokens at the input price
        cast(coalesce(cached_input_usd_per_mtok, input_usd_per_mtok) as {{ type_double() }})
            as cached_input_usd_per_mtok,
        effective_from as valid_from,
        coalesce(effective_to, cast('{{ var("open_ended_timestamp") }}' as timestamp)) as valid_to
    from prices

)

select * from final
