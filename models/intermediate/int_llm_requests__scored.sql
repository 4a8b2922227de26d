{{
    config(
        meta={'recent_column': 'loaded_at'}
    )
}}

-- Priced requests with their topic and implicit quality score. The score uses only the
-- call's own signals, with weights from vars (defaults in brackets):
--   start at quality_start [1.0]; minus quality_regenerated_penalty [0.3] if regenerated;
--   minus quality_edited_penalty [0.15] if edited; times quality_slow_multiplier [0.6] if
--   total latency > quality_slow_latency_ms [3000]; minus quality_verbose_penalty [0.1] if
--   completion / prompt tokens > quality_verbose_ratio [2.5]; clamped to [0, 1].
-- Failed calls have no response to score: their score is null.

with

requests as (

    select * from {{ ref('int_llm_requests__priced') }}

),

topics as (

    select * from {{ ref('int_query_topics') }}

),

scored as (

    select
        requests.*,
        coalesce(topics.query_topic, 'other') as query_topic,
        (
            (
                {{ var('quality_start') }}
                - case when requests.is_regenerated then {{ var('quality_regenerated_penalty') }} else 0 end
                - case when requests.is_edited then {{ var('quality_edited_penalty') }} else 0 end
            )
            * case
                when requests.total_latency_ms > {{ var('quality_slow_latency_ms') }}
                    then {{ var('quality_slow_multiplier') }}
                else 1
            end
            - case
                when
                    {{ safe_divide('requests.completion_tokens', 'requests.prompt_tokens') }}
                    > {{ var('quality_verbose_ratio') }}
                    then {{ var('quality_verbose_penalty') }}
                else 0
            end
        ) as raw_quality_score
    from requests
    left join topics on requests.query_hash = topics.query_hash

),

final as (

    select
        *,
        case
            when status = 'error' then null
            when raw_quality_score < 0 then 0.0
            when raw_quality_score > 1 then 1.0
            else cast(raw_quality_score as {{ type_double() }})
        end as implicit_quality_score
    from scored

)

select * from final
