-- Grain: one row per UTC day x provider x model (the genai-prices model, else the name as sent
-- or billed): the warehouse's cost (list and billed), the emitter's own estimate and the
-- provider's bill side by side, with the gaps between them. Bill lines without a model (a bill
-- per provider, a tool line item) form the provider's row with a null model_id: to compare a
-- per-provider bill, sum the provider's rows of the day.
-- A plain table: one pass over fct_llm_requests and the (small) bill, like mart_cost_by_segment.

with

requests as (

    select * from {{ ref('fct_llm_requests') }}

),

bill_lines as (

    select * from {{ ref('stg_llm__provider_costs') }}

),

resolution as (

    select * from {{ ref('int_model_resolution') }}

),

computed as (

    select
        request_date as activity_date,
        provider,
        coalesce(priced_model_id, model_id) as model_id,
        count(*) as request_count,
        sum(case when is_priced then 0 else 1 end) as unpriced_request_count,
        sum(cost_usd) as cost_usd,
        sum(billed_cost_usd) as billed_cost_usd,
        sum(case when emitter_estimated_cost_usd is not null then 1 else 0 end) as estimated_request_count,
        sum(emitter_estimated_cost_usd) as estimated_cost_usd,
        sum(case when not is_priced then emitter_estimated_cost_usd end) as estimated_unpriced_cost_usd,
        sum(case when emitter_estimated_cost_usd is not null then cost_usd end) as cost_on_estimated_usd,
        sum(case when emitter_estimated_cost_usd is null then cost_usd end) as unestimated_cost_usd
    from requests
    group by request_date, provider, coalesce(priced_model_id, model_id)

),

billed as (

    select
        bill_lines.cost_date as activity_date,
        bill_lines.provider,
        coalesce(resolution.priced_model_id, bill_lines.model_id) as model_id,
        count(*) as provider_line_count,
        sum(bill_lines.cost_usd) as provider_cost_usd,
        sum(bill_lines.input_tokens) as provider_input_tokens,
        sum(bill_lines.output_tokens) as provider_output_tokens
    from bill_lines
    left join resolution
        on bill_lines.provider = resolution.provider and bill_lines.model_id = resolution.model_id
    group by bill_lines.cost_date, bill_lines.provider, coalesce(resolution.priced_model_id, bill_lines.model_id)

),

joined as (

    select
        coalesce(computed.activity_date, billed.activity_date) as activity_date,
        coalesce(computed.provider, billed.provider) as provider,
        coalesce(computed.model_id, billed.model_id) as model_id,
        coalesce(computed.request_count, 0) as request_count,
        coalesce(computed.unpriced_request_count, 0) as unpriced_request_count,
        coalesce(computed.cost_usd, 0) as cost_usd,
        coalesce(computed.billed_cost_usd, 0) as billed_cost_usd,
        coalesce(computed.estimated_request_count, 0) as estimated_request_count,
        coalesce(computed.estimated_cost_usd, 0) as estimated_cost_usd,
        coalesce(computed.estimated_unpriced_cost_usd, 0) as estimated_unpriced_cost_usd,
        coalesce(computed.cost_on_estimated_usd, 0) as cost_on_estimated_usd,
        coalesce(computed.unestimated_cost_usd, 0) as unestimated_cost_usd,
        billed.provider_line_count is not null as has_provider_cost,
        billed.provider_cost_usd,
        billed.provider_input_tokens,
        billed.provider_output_tokens
    from computed
    full outer join billed
        on
            computed.activity_date = billed.activity_date
            and computed.provider = billed.provider
            and computed.model_id = billed.model_id

),

differences as (

    select
        *,
        -- the emitter's estimate against the warehouse on the same calls: priced calls carrying one
        estimated_cost_usd - estimated_unpriced_cost_usd - cost_on_estimated_usd as estimate_difference_usd,
        provider_cost_usd - billed_cost_usd as bill_difference_usd
    from joined

),

final as (

    select
        {{ surrogate_key(['activity_date', 'provider', "coalesce(model_id, '')"]) }} as reconciliation_day_id,
        activity_date,
        provider,
        model_id,
        cast(request_count as bigint) as request_count,
        cast(unpriced_request_count as bigint) as unpriced_request_count,
        {{ safe_divide('unpriced_request_count', 'request_count') }} as unpriced_request_rate,
        cast(cost_usd as {{ type_double() }}) as cost_usd,
        cast(billed_cost_usd as {{ type_double() }}) as billed_cost_usd,
        cast(estimated_request_count as bigint) as estimated_request_count,
        cast(request_count - estimated_request_count as bigint) as unestimated_request_count,
        cast(estimated_cost_usd as {{ type_double() }}) as estimated_cost_usd,
        cast(estimated_unpriced_cost_usd as {{ type_double() }}) as estimated_unpriced_cost_usd,
        cast(cost_on_estimated_usd as {{ type_double() }}) as cost_on_estimated_usd,
        cast(unestimated_cost_usd as {{ type_double() }}) as unestimated_cost_usd,
        cast(estimate_difference_usd as {{ type_double() }}) as estimate_difference_usd,
        cast(100 * {{ safe_divide('estimate_difference_usd', 'cost_on_estimated_usd') }} as {{ type_double() }})
            as estimate_difference_pct,
        has_provider_cost,
        cast(provider_cost_usd as {{ type_double() }}) as provider_cost_usd,
        cast(provider_input_tokens as bigint) as provider_input_tokens,
        cast(provider_output_tokens as bigint) as provider_output_tokens,
        cast(bill_difference_usd as {{ type_double() }}) as bill_difference_usd,
        cast(100 * {{ safe_divide('bill_difference_usd', 'billed_cost_usd') }} as {{ type_double() }})
            as bill_difference_pct,
        coalesce(
            has_provider_cost
            and abs(bill_difference_usd) <= {{ var('reconciliation_tolerance_rate') }} * abs(billed_cost_usd),
            false
        ) as is_bill_matched,
        {{ is_complete_period('activity_date', 'day') }} as is_complete_period
    from differences

)

select * from final
