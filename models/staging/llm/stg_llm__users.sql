-- One row per user; when a user was delivered twice, the latest signup record wins.
-- Rows without a user_id are kept with a reject_reason (see int_rejected_rows).

with

source as (

    select * from {{ source('llm', 'users') }}

),

ranked as (

    select
        *,
        row_number() over (partition by user_id order by signed_up_at desc, plan asc, segment asc) as record_rank
    from source

),

renamed as (

    select
        user_id,
        tenant_id,
        signed_up_at,
        lower(plan) as plan,
        lower(segment) as segment,
        upper(country) as country,
        case
            when user_id is null then 'missing_user_id'
            when signed_up_at is null then 'missing_signed_up_at'
        end as reject_reason
    from ranked
    where record_rank = 1 or user_id is null

)

select * from renamed
