-- One row per user and experiment: the first assignment wins (a user keeps their variant).
-- Rows without a user or experiment are kept with a reject_reason (see int_rejected_rows).

with

source as (

    select * from {{ source('llm', 'experiment_assignments') }}

),

ranked as (

    select
        *,
        row_number() over (partition by user_id, experiment_id order by assigned_at, variant) as assignment_rank
    from source

),

renamed as (

    select
        user_id,
        experiment_id,
        variant,
        assigned_at,
        case
            when user_id is null then 'missing_user_id'
            when experiment_id is null then 'missing_experiment_id'
            when variant is null then 'missing_variant'
        end as reject_reason
    from ranked
    where assignment_rank = 1 or user_id is null or experiment_id is null

)

select * from renamed
