-- Agreements of one scope (one tenant, or one provider x model) never overlap in time, so a call
-- finds at most one of each scope and pricing never fans out (int_llm_requests__priced).

with

agreements as (

    select * from {{ ref('int_negotiated_prices') }}

)

select
    earlier.agreement_id,
    later.agreement_id as overlapping_agreement_id
from agreements as earlier
inner join agreements as later
    on
        earlier.agreement_id < later.agreement_id
        and earlier.agreement_scope = later.agreement_scope
        and coalesce(earlier.tenant_id, '') = coalesce(later.tenant_id, '')
        and coalesce(earlier.provider, '') = coalesce(later.provider, '')
        and coalesce(earlier.priced_model_id, '') = coalesce(later.priced_model_id, '')
        and earlier.valid_from < later.valid_to
        and earlier.valid_to > later.valid_from
