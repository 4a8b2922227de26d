-- One row per user and experiment: the variant the user is in (for A/B comparisons).

with

assignments as (

    select * from {{ ref('stg_llm__experiment_assignments') }}
    where reject_reason is null

),

final as (

    select
        {{ surrogate_key(['user_id', 'experiment_id']) }} as user_experiment_id,
        user_id,
        experiment_id,
        variant,
        assigned_at
    from assignments

)

select * from final
