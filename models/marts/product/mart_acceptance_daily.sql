-- Grain: one row per UTC day x feature x provider x model with successful calls (responses).
-- A response is accepted when it received a feedback of var acceptance_feedback_types (a copy),
-- or a product event of var acceptance_events (an insert, an accept) names it in its request_id
-- property; an accept event without a request_id accepts its session's last response at or
-- before the event. Each response counts once however many signals it got.
-- A table, rebuilt whole: one pass over the calls and the sparse accept signals; a signal can
-- arrive long after its call (a day's rate moves), and a full rebuild keeps that exact.

with

responses as (

    select
        request_id,
        session_id,
        occurred_at,
        request_date,
        feature_id,
        provider,
        model_id
    from {{ ref('fct_llm_requests') }}
    where not is_error

),

feedback_accepts as (

    select distinct request_id
    from {{ ref('fct_feedback') }}
    where feedback_type in ({{ quoted_list(var('acceptance_feedback_types')) }})

),

accept_events as (

    select
        product_event_id,
        request_id,
        session_id,
        occurred_at
    from {{ ref('stg_llm__product_events') }}
    where reject_reason is null and event_name in ({{ quoted_list(var('acceptance_events')) }})

),

session_accepts as (

    -- an event naming only its session: the session's last response at or before it
    select
        accept_events.product_event_id,
        responses.request_id,
        row_number() over (
            partition by accept_events.product_event_id
            order by responses.occurred_at desc, responses.request_id desc
        ) as response_rank
    from accept_events
    inner join responses
        on
            accept_events.session_id = responses.session_id
            and accept_events.occurred_at >= responses.occurred_at
    where accept_events.request_id is null

),

event_accepts as (

    select request_id from accept_events
    where request_id is not null
    union
    select request_id from session_accepts
    where response_rank = 1

),

aggregated as (

    select
        responses.request_date,
        responses.feature_id,
        responses.provider,
        responses.model_id,
        count(*) as responses,
        sum(
            case when feedback_accepts.request_id is not null or event_accepts.request_id is not null then 1 else 0 end
        ) as accepted,
        sum(case when feedback_accepts.request_id is not null then 1 else 0 end) as accepted_by_feedback,
        sum(case when event_accepts.request_id is not null then 1 else 0 end) as accepted_by_event
    from responses
    left join feedback_accepts on responses.request_id = feedback_accepts.request_id
    left join event_accepts on responses.request_id = event_accepts.request_id
    group by responses.request_date, responses.feature_id, responses.provider, responses.model_id

),

final as (

    select
        {{ surrogate_key(['request_date', "coalesce(feature_id, '')", 'provider', 'model_id']) }}
            as acceptance_day_id,
        request_date as activity_date,
        feature_id,
        provider,
        model_id,
        cast(responses as bigint) as response_count,
        cast(accepted as bigint) as accepted_response_count,
        cast(accepted_by_feedback as bigint) as accepted_by_feedback_count,
        cast(accepted_by_event as bigint) as accepted_by_event_count,
        {{ safe_divide('accepted', 'responses') }} as acceptance_rate,
        {{ is_complete_period('request_date', 'day') }} as is_complete_period
    from aggregated

)

select * from final
