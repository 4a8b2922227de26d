{{
    config(
        materialized='incremental',
        unique_key='request_id',
        meta={'recent_column': 'last_received_at'}
    )
}}

-- Grain: one row per valid LLM call: what feedback it received, from its own explicit_rating
-- and from feedback events, combined. A thumbs up counts once per call whichever way it came.
-- Incremental: calls received, or given feedback, within the lookback are recomputed.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

feedback as {{ not_materialized() }} (

    select * from {{ ref('int_feedback_by_request') }}

),

{% if is_incremental() %}
    {%- set watermark = incremental_watermark() %}

    touched as (

        select request_id from all_requests
        where received_at >= {{ watermark }}
        union
        select request_id from feedback
        where last_received_at >= {{ watermark }}

    ),

    requests as (

        select all_requests.*
        from all_requests
        where all_requests.request_id in (select touched.request_id from touched)

    ),

{% else %}

    requests as (

        select * from all_requests

    ),

{% endif %}

final as (

    select
        requests.request_id,
        (requests.explicit_rating = 'up' or coalesce(feedback.has_thumbs_up_event, false)) as has_thumbs_up,
        (requests.explicit_rating = 'down' or coalesce(feedback.has_thumbs_down_event, false)) as has_thumbs_down,
        cast(coalesce(feedback.rating_count, 0) as bigint) as rating_count,
        cast(feedback.rating_sum as {{ type_double() }}) as rating_sum,
        {{ safe_divide('feedback.rating_sum', 'feedback.rating_count') }} as avg_rating,
        coalesce(feedback.has_follow_up, false) as has_follow_up,
        coalesce(feedback.has_share, false) as has_share,
        coalesce(feedback.has_save, false) as has_save,
        coalesce(feedback.has_copy, false) as has_copy,
        (
            requests.explicit_rating in ('up', 'down')
            or coalesce(feedback.has_thumbs_up_event, false)
            or coalesce(feedback.has_thumbs_down_event, false)
            or coalesce(feedback.rating_count, 0) > 0
        ) as has_explicit_feedback,
        case
            when feedback.last_received_at > requests.received_at then feedback.last_received_at
            else requests.received_at
        end as last_received_at
    from requests
    left join feedback on requests.request_id = feedback.request_id

)

select * from final
