-- Every row a staging model flagged as breaking a rule, with the reason. Nothing is dropped
-- silently: what the facts leave out is here, and a warn-level test reports the count.

with

requests as (

    select * from {{ ref('int_llm_requests') }}

),

feedback as (

    select * from {{ ref('stg_llm__feedback_events') }}

),

evaluation_scores as (

    select * from {{ ref('int_evaluation_scores') }}

),

product_events as (

    select * from {{ ref('stg_llm__product_events') }}

),

users as (

    select * from {{ ref('stg_llm__users') }}

),

assignments as (

    select * from {{ ref('stg_llm__experiment_assignments') }}

),

unioned as (

    select
        source_table,
        request_id as row_id,
        occurred_at,
        received_at,
        reject_reason
    from requests
    where reject_reason is not null
    union all
    select
        'feedback_events' as source_table,
        feedback_id as row_id,
        occurred_at,
        received_at,
        reject_reason
    from feedback
    where reject_reason is not null
    union all
    select
        source_table,
        evaluation_id as row_id,
        occurred_at,
        received_at,
        reject_reason
    from evaluation_scores
    where reject_reason is not null
    union all
    select
        'product_events' as source_table,
        product_event_id as row_id,
        occurred_at,
        received_at,
        reject_reason
    from product_events
    where reject_reason is not null
    union all
    select
        'users' as source_table,
        user_id as row_id,
        signed_up_at as occurred_at,
        cast(null as timestamp) as received_at,
        reject_reason
    from users
    where reject_reason is not null
    union all
    select
        'experiment_assignments' as source_table,
        user_id as row_id,
        assigned_at as occurred_at,
        cast(null as timestamp) as received_at,
        reject_reason
    from assignments
    where reject_reason is not null

)

select * from unioned
