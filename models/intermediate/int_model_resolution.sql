-- Every (provider, model name) seen in requests or in the providers' bills, resolved to the
-- model genai-prices prices it as: the alias rule with the lowest match_priority wins
-- (genai-prices' own order), so dated snapshots such as gpt-4o-2024-08-06 resolve to gpt-4o.
-- Unknown models get a null priced_model_id.

with

requests as (

    select * from {{ ref('int_llm_requests') }}

),

billed as (

    select * from {{ ref('stg_llm__provider_costs') }}

),

aliases as (

    select * from {{ ref('model_aliases') }}

),

seen_models as (

    select
        provider,
        model_id
    from requests
    where reject_reason is null
    union
    -- bills name models as the provider does (dated snapshots): resolved the same way, so a bill
    -- and the calls it charges meet on one priced model (mart_cost_reconciliation_daily)
    select
        provider,
        model_id
    from billed
    where model_id is not null

),

matches as (

    select
        seen_models.provider,
        seen_models.model_id,
        aliases.model_id as priced_model_id,
        aliases.match_priority,
        case aliases.match_type when 'equals' then 0 else 1 end as match_type_rank
    from seen_models
    inner join aliases
        on
            seen_models.provider = aliases.provider
            and (
                (aliases.match_type = 'equals' and seen_models.model_id = aliases.pattern)
                or (
                    aliases.match_type = 'starts_with'
                    and substr(seen_models.model_id, 1, {{ dbt.length('aliases.pattern') }}) = aliases.pattern
                )
                or (
                    aliases.match_type = 'ends_with'
                    and {{ dbt.right('seen_models.model_id', dbt.length('aliases.pattern')) }} = aliases.pattern
                )
                or (
                    aliases.match_type = 'contains'
                    and {{ dbt.position('aliases.pattern', 'seen_models.model_id') }} > 0
                )
            )

),

ranked as (

    select
        *,
        row_number() over (
            partition by provider, model_id
            order by match_priority, match_type_rank, priced_model_id
        ) as match_rank
    from matches

),

final as (

    select
        seen_models.provider,
        seen_models.model_id,
        cast(ranked.priced_model_id as {{ dbt.type_string() }}) as priced_model_id
    from seen_models
    left join ranked
        on
            seen_models.provider = ranked.provider
            and seen_models.model_id = ranked.model_id
            and ranked.match_rank = 1

)

select * from final
