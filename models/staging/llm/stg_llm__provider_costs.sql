-- One row per billed line of a provider's bill: UTC day x provider x model x line item. Bills are
-- revised (a provider's export of a day changes until the month closes), so when a key is loaded
-- again the latest load wins: only the rows of the key's newest _loaded_at are kept, and they are
-- summed (an export grouped by project or workspace too gives one key several rows). A line
-- without a model whose line item reads '<model>, <kind>' (OpenAI's costs export grouped by
-- line_item: 'gpt-4o-2024-08-06, input') is that model's; other lines without a model stay
-- unattributed (model_id null).

with

source as (

    select * from {{ source('llm', 'provider_costs') }}

),

scoped as (

    {{ loaded_rows('source') }}

),

renamed as (

    select
        cast(cost_date as date) as cost_date,
        lower(trim(provider)) as provider,
        coalesce(
            {{ blank_as_null('model_id') }},
            case
                when strpos(line_item, ', ') > 1 then trim(split_part(line_item, ', ', 1))
            end
        ) as model_id,
        {{ blank_as_null('line_item') }} as line_item,
        cast(cost_usd as {{ type_double() }}) as cost_usd,
        input_tokens,
        output_tokens,
        source as cost_source,
        received_at,
        _loaded_at as loaded_at
    from scoped
    where cost_date is not null and provider is not null and cost_usd is not null

),

latest as (

    select
        *,
        max(coalesce(loaded_at, cast('{{ var("earliest_occurred_at") }}' as timestamp))) over (
            partition by cost_date, provider, model_id, line_item
        ) as latest_loaded_at
    from renamed

),

final as (

    select
        {{ surrogate_key([
            'cost_date', 'provider', "coalesce(model_id, '')", "coalesce(line_item, '')"
        ]) }} as provider_cost_id,
        cost_date,
        provider,
        model_id,
        line_item,
        sum(cost_usd) as cost_usd,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        max(cost_source) as cost_source,
        max(received_at) as received_at,
        max(loaded_at) as loaded_at
    from latest
    where coalesce(loaded_at, cast('{{ var("earliest_occurred_at") }}' as timestamp)) = latest_loaded_at
    group by cost_date, provider, model_id, line_item

)

select * from final
