-- Every evaluation score, whatever carried it: the application's raw.evaluation_scores rows
-- (stg_llm__evaluation_scores) and OpenTelemetry `gen_ai.evaluation.result` events, as span
-- events (stg_otel__span_evaluations) or log records (stg_otel__logs). An OTel event scores the
-- span it belongs to or was emitted in: its request_id is "<trace id>:<span id>", the id
-- int_otel_llm_calls gives that span's call. Rule breaks carry a reject_reason (the staged rows'
-- own, or, for OTel events, a missing name or score / an unknown source) and go to
-- int_rejected_rows; valid rows flow on to fct_evaluation_scores.

with

app_scores as (

    select * from {{ ref('stg_llm__evaluation_scores') }}

),

span_evaluations as (

    select * from {{ ref('stg_otel__span_evaluations') }}

),

logs as (

    select * from {{ ref('stg_otel__logs') }}

),

otel_events as (

    select
        'otel_spans' as source_table,
        span_evaluation_key as evaluation_key,
        trace_id,
        span_id,
        evaluated_at,
        loaded_at,
        evaluation_name,
        evaluation_score_value,
        evaluation_score_label,
        evaluator,
        evaluation_source,
        has_explanation
    from span_evaluations
    union all
    select
        'otel_logs' as source_table,
        log_key as evaluation_key,
        trace_id,
        span_id,
        logged_at as evaluated_at,
        loaded_at,
        evaluation_name,
        evaluation_score_value,
        evaluation_score_label,
        evaluator,
        evaluation_source,
        has_explanation
    from logs
    where is_evaluation

),

otel_scores as (

    select
        source_table,
        {{ dbt.concat(["'otel:'", 'evaluation_key']) }} as evaluation_id,
        case
            when trace_id is not null and span_id is not null
                then {{ dbt.concat(['trace_id', "':'", 'span_id']) }}
        end as request_id,
        cast(null as {{ dbt.type_string() }}) as session_id,
        lower({{ blank_as_null('evaluation_name') }}) as score_name,
        evaluation_score_value as score_value,
        lower({{ blank_as_null('evaluation_score_label') }}) as score_label,
        lower(coalesce({{ blank_as_null('evaluation_source') }}, '{{ var("otel_evaluation_default_source") }}'))
            as evaluation_source,
        {{ blank_as_null('evaluator') }} as evaluator,
        has_explanation as has_comment,
        evaluated_at as occurred_at,
        loaded_at
    from otel_events

),

otel_validated as (

    select
        *,
        case
            when request_id is null then 'missing_request_and_session'
            when score_name is null then 'missing_score_name'
            when {{ is_non_finite('score_value') }} then 'non_finite_number'
            when score_value is null and score_label is null then 'missing_score'
            when evaluation_source not in ({{ quoted_list(var('accepted_evaluation_sources')) }}) then 'unknown_source'
        end as reject_reason
    from otel_scores

),

unioned as (

    select
        'evaluation_scores' as source_table,
        evaluation_id,
        request_id,
        session_id,
        score_name,
        score_value,
        score_label,
        evaluation_source,
        evaluator,
        has_comment,
        occurred_at,
        received_at,
        loaded_at,
        reject_reason
    from app_scores
    union all
    select
        source_table,
        evaluation_id,
        request_id,
        session_id,
        score_name,
        score_value,
        score_label,
        evaluation_source,
        evaluator,
        has_comment,
        occurred_at,
        cast(null as timestamp) as received_at,
        loaded_at,
        reject_reason
    from otel_validated

)

select * from unioned
