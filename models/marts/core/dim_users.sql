-- One row per known user: attributes, signup cohort and experiment variants. A user seen in
-- calls or product events but absent from raw.users (telemetry carries a user id, never a
-- profile) is known too, with their first active day as signup (is_signup_inferred), so
-- retention, cohorts and per-user figures count them.

with

users as (

    select * from {{ ref('stg_llm__users') }}
    where reject_reason is null

),

assignments as (

    select * from {{ ref('stg_llm__experiment_assignments') }}
    where reject_reason is null

),

first_activity as (

    select
        user_id,
        min(activity_date) as first_active_date
    from {{ ref('fct_user_activity_daily') }}
    group by user_id

),

variants as (

    select
        user_id,
        {{ dbt.listagg(dbt.concat(['experiment_id', "'='", 'variant']), "'; '", 'order by experiment_id') }}
            as experiment_variants
    from assignments
    group by user_id

),

known as (

    select
        user_id,
        tenant_id,
        signed_up_at,
        plan,
        segment,
        country,
        false as is_signup_inferred
    from users
    union all
    select
        first_activity.user_id,
        cast(null as {{ dbt.type_string() }}) as tenant_id,
        cast(first_activity.first_active_date as timestamp) as signed_up_at,
        cast(null as {{ dbt.type_string() }}) as plan,
        cast(null as {{ dbt.type_string() }}) as segment,
        cast(null as {{ dbt.type_string() }}) as country,
        true as is_signup_inferred
    from first_activity
    where not exists (
        select 1 from users
        where users.user_id = first_activity.user_id
    )

),

final as (

    select
        known.user_id,
        known.tenant_id,
        known.signed_up_at,
        cast(known.signed_up_at as date) as signup_date,
        cast({{ dbt.date_trunc('week', 'known.signed_up_at') }} as date) as signup_cohort_week,
        known.plan,
        known.segment,
        known.country,
        known.is_signup_inferred,
        variants.experiment_variants
    from known
    left join variants on known.user_id = variants.user_id

)

select * from final
