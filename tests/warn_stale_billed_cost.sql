-- Reports (as a warning) calls whose billed cost no longer follows seeds/negotiated_prices.csv:
-- fct_llm_requests is incremental and keeps each call's billed cost as built, so an agreement
-- added, changed or removed after its calls were built reaches them only with
-- `dbt build --full-refresh -s fct_llm_requests+` (docs/incremental.md). Each row is a call and
-- what is stale: its recorded agreement is gone (or no longer covers it), gives another billed
-- cost now, or an agreement now covers a call billed at list price.
{{ config(severity='warn') }}

with

calls as (

    select * from {{ ref('fct_llm_requests') }}
    where is_priced

),

agreements as (

    select * from {{ ref('int_negotiated_prices') }}

),

recorded as (

    select
        calls.request_id,
        calls.negotiated_agreement_id,
        case
            when agreements.agreement_id is null then 'agreement_gone'
            when calls.occurred_at < agreements.valid_from or calls.occurred_at >= agreements.valid_to
                then 'agreement_no_longer_covers'
            when abs(calls.billed_cost_usd - case
                when agreements.input_usd_per_mtok is not null
                    then (
                        calls.uncached_prompt_tokens * agreements.input_usd_per_mtok
                        + calls.cached_tokens * agreements.cached_input_usd_per_mtok
                        + calls.completion_tokens * agreements.output_usd_per_mtok
                    ) / 1000000.0
                else calls.cost_usd * (1 - agreements.discount_rate)
            end) > 1e-9 then 'agreement_changed'
        end as stale_reason
    from calls
    left join agreements on calls.negotiated_agreement_id = agreements.agreement_id
    where calls.negotiated_agreement_id is not null

),

missed as (

    select
        calls.request_id,
        agreements.agreement_id as negotiated_agreement_id,
        'agreement_not_applied' as stale_reason
    from calls
    inner join agreements
        on
            calls.occurred_at >= agreements.valid_from
            and calls.occurred_at < agreements.valid_to
            and (
                (agreements.agreement_scope = 'tenant' and calls.tenant_id = agreements.tenant_id)
                or (
                    agreements.agreement_scope = 'provider_model'
                    and calls.provider = agreements.provider
                    and calls.priced_model_id = agreements.priced_model_id
                )
            )
    where calls.negotiated_agreement_id is null

)

select * from recorded
where stale_reason is not null
union all
select * from missed
