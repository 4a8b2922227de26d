-- One row per known user: attributes, signup cohort and experiment variants.

with

users as (

    select * from {{ ref('stg_llm__users') }}
    where reject_reason is null

),

assignments as (

    select * from {{ ref('stg_llm__experiment_assignments') }}
    where reject_reason is null

),

variants as (

    select
        user_id,
        {{ dbt.listagg(dbt.concat(['experiment_id', "'='", 'variant']), "'; '", 'order by experiment_id') }}
            as experiment_variants
    from assignments
    group by user_id

),

final as (

    select
        users.user_id,
        users.tenant_id,
        users.signed_up_at,
        cast(users.signed_up_at as date) as signup_date,
        cast({{ dbt.date_trunc('week', 'users.signed_up_at') }} as date) as signup_cohort_week,
        users.plan,
        users.segment,
        users.country,
        variants.experiment_variants
    from users
    left join variants on users.user_id = variants.user_id

)

select * from final
