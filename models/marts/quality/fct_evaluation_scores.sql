-- Grain: one row per valid evaluation score (raw.evaluation_scores rows and OpenTelemetry
-- evaluation events; rejected ones are in int_rejected_rows), with the scored call's facts and the
-- score's pass / fail against seed evaluation_thresholds. A call-level score names a call
-- (request_id); a session-level one only a session, and takes its day from its own time.
-- A plain table: one pass over the scores, a small share of the calls.

with

scores as (

    select * from {{ ref('int_evaluation_scores') }}
    where reject_reason is null

),

calls as (

    select * from {{ ref('fct_llm_requests') }}

),

thresholds as (

    select * from {{ ref('evaluation_thresholds') }}

),

joined as (

    select
        scores.evaluation_id,
        scores.source_table,
        scores.request_id,
        coalesce(scores.session_id, calls.session_id) as session_id,
        case when scores.request_id is null then 'session' else 'call' end as evaluation_level,
        calls.request_id is not null as is_call_found,
        scores.score_name,
        scores.score_value,
        scores.score_label,
        scores.evaluation_source,
        scores.evaluator,
        scores.has_comment,
        thresholds.better_direction,
        thresholds.pass_threshold,
        scores.occurred_at,
        scores.loaded_at,
        calls.occurred_at as request_occurred_at,
        coalesce(calls.request_date, cast(scores.occurred_at as date)) as activity_date,
        calls.feature_id,
        calls.provider,
        calls.model_id
    from scores
    left join calls on scores.request_id = calls.request_id
    left join thresholds on scores.score_name = lower(thresholds.score_name)

),

final as (

    select
        evaluation_id,
        source_table,
        request_id,
        session_id,
        evaluation_level,
        is_call_found,
        score_name,
        cast(score_value as {{ type_double() }}) as score_value,
        score_label,
        evaluation_source,
        evaluator,
        has_comment,
        better_direction,
        cast(pass_threshold as {{ type_double() }}) as pass_threshold,
        pass_threshold is not null and score_value is not null as is_pass_evaluated,
        coalesce(
            case
                when better_direction = 'higher' then score_value >= pass_threshold
                when better_direction = 'lower' then score_value <= pass_threshold
            end,
            false
        ) as is_passing,
        occurred_at,
        loaded_at,
        request_occurred_at,
        activity_date,
        feature_id,
        provider,
        model_id
    from joined

)

select * from final
