-- Grain: one row per segment x feature x recommendation type, over the last
-- var recommendation_window_days days of calls (ending at the newest call's day): each cost
-- saving opportunity with its evidence and an estimated monthly saving (the window's saving x
-- 30 / days the window holds). Types:
--   model_switch: one model carries more than var recommendation_model_cost_share of the
--     segment x feature's list cost, and another model already used for that feature is no worse
--     (implicit quality score and thumbs-up rate over the feature's calls, each at least the
--     current model's; a rate neither model has is not compared) with at least
--     var recommendation_min_requests calls each. Saving = the current model's cost minus its
--     tokens re-priced at the candidate's list price (int_model_prices, valid at the newest call);
--     the cheapest candidate is suggested.
--   prompt_compression: more than var recommendation_max_prompt_tokens prompt tokens per call
--     (at least var recommendation_min_requests calls); saving = input cost (cached included) x
--     var recommendation_prompt_compression_rate.
--   cache_repeats: calls repeating an earlier identical query (same query_hash, same segment and
--     feature, in the window) that were not served from a cache, at least
--     var recommendation_min_repeat_requests of them; saving = their cost.
-- Anonymous calls form the segment 'anonymous', users missing from dim_users 'unknown'; calls
-- without a feature the feature 'unknown'. A plain table: one pass over the window's calls.

{%- set monthly_days = 30 %}

with

all_requests as (

    select * from {{ ref('fct_llm_requests') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

prices as (

    select * from {{ ref('int_model_prices') }}

),

horizon as (

    select
        max(request_date) as window_end_date,
        max(occurred_at) as newest_occurred_at
    from all_requests

),

requests as (

    select
        all_requests.*,
        case
            when all_requests.user_id is null then 'anonymous'
            else coalesce(users.segment, 'unknown')
        end as segment,
        coalesce(all_requests.feature_id, 'unknown') as feature_key,
        {{ dbt.concat([
            'all_requests.provider', "'/'", 'coalesce(all_requests.priced_model_id, all_requests.model_id)'
        ]) }} as model_key
    from all_requests
    cross join horizon
    left join users on all_requests.user_id = users.user_id
    where
        {{ days_between('all_requests.request_date', 'horizon.window_end_date') }}
        < {{ var('recommendation_window_days') }}

),

window_bounds as (

    select
        min(requests.request_date) as window_start_date,
        max(horizon.window_end_date) as window_end_date,
        max(horizon.newest_occurred_at) as newest_occurred_at,
        {{ monthly_days }}.0 / (
            {{ days_between('min(requests.request_date)', 'max(horizon.window_end_date)') }} + 1
        ) as monthly_factor
    from requests
    cross join horizon

),

segment_features as (

    select
        segment,
        feature_key,
        count(*) as request_count,
        sum(cost_usd) as cost_usd,
        sum(prompt_tokens) as prompt_tokens,
        sum(coalesce(input_cost_usd, 0) + coalesce(cached_input_cost_usd, 0)) as input_cost_usd
    from requests
    group by segment, feature_key

),

-- model_switch ---------------------------------------------------------------------------------

segment_models as (

    select
        segment,
        feature_key,
        model_key,
        provider,
        max(priced_model_id) as priced_model_id,
        count(*) as request_count,
        sum(cost_usd) as cost_usd,
        sum(uncached_prompt_tokens) as uncached_prompt_tokens,
        sum(cached_tokens) as cached_tokens,
        sum(completion_tokens) as completion_tokens
    from requests
    where is_priced
    group by segment, feature_key, model_key, provider

),

feature_models as (

    select
        feature_key,
        model_key,
        provider,
        max(priced_model_id) as priced_model_id,
        count(*) as request_count,
        avg(implicit_quality_score) as quality_score,
        {{ safe_divide(
            "sum(case when explicit_rating = 'up' then 1 else 0 end)",
            "sum(case when explicit_rating in ('up', 'down') then 1 else 0 end)"
        ) }} as thumbs_up_rate
    from requests
    where is_priced
    group by feature_key, model_key, provider

),

current_prices as (

    select prices.*
    from prices
    cross join window_bounds
    where
        prices.valid_from <= window_bounds.newest_occurred_at
        and window_bounds.newest_occurred_at < prices.valid_to

),

dominant as (

    select
        segment_models.*,
        {{ safe_divide('segment_models.cost_usd', 'segment_features.cost_usd') }} as cost_share_rate,
        feature_models.quality_score,
        feature_models.thumbs_up_rate
    from segment_models
    inner join segment_features
        on
            segment_models.segment = segment_features.segment
            and segment_models.feature_key = segment_features.feature_key
    inner join feature_models
        on
            segment_models.feature_key = feature_models.feature_key
            and segment_models.model_key = feature_models.model_key
    where
        segment_models.request_count >= {{ var('recommendation_min_requests') }}
        and segment_models.cost_usd > {{ var('recommendation_model_cost_share') }} * segment_features.cost_usd

),

candidates as (

    select
        dominant.segment,
        dominant.feature_key,
        dominant.model_key as current_model,
        dominant.request_count as evidence_request_count,
        dominant.cost_share_rate,
        dominant.quality_score as current_quality_score,
        dominant.thumbs_up_rate as current_thumbs_up_rate,
        dominant.cost_usd as current_cost_usd,
        feature_models.model_key as suggested_model,
        feature_models.request_count as suggested_request_count,
        feature_models.quality_score as suggested_quality_score,
        feature_models.thumbs_up_rate as suggested_thumbs_up_rate,
        (
            dominant.uncached_prompt_tokens * current_prices.input_usd_per_mtok
            + dominant.cached_tokens * current_prices.cached_input_usd_per_mtok
            + dominant.completion_tokens * current_prices.output_usd_per_mtok
        ) / 1000000.0 as repriced_cost_usd
    from dominant
    inner join feature_models
        on dominant.feature_key = feature_models.feature_key and dominant.model_key != feature_models.model_key
    inner join current_prices
        on
            feature_models.provider = current_prices.provider
            and feature_models.priced_model_id = current_prices.priced_model_id
    where
        feature_models.request_count >= {{ var('recommendation_min_requests') }}
        and feature_models.quality_score >= dominant.quality_score
        and (
            feature_models.thumbs_up_rate is null
            or dominant.thumbs_up_rate is null
            or feature_models.thumbs_up_rate >= dominant.thumbs_up_rate
        )

),

model_switch as (

    select
        *,
        row_number() over (
            partition by segment, feature_key
            order by repriced_cost_usd, suggested_model
        ) as candidate_rank
    from candidates
    where repriced_cost_usd < current_cost_usd

),

-- cache_repeats --------------------------------------------------------------------------------

query_calls as (

    select
        segment,
        feature_key,
        query_hash,
        cost_usd,
        is_cache_hit,
        row_number() over (
            partition by segment, feature_key, query_hash
            order by occurred_at, request_id
        ) as query_call_rank
    from requests
    where query_hash is not null

),

repeats as (

    select
        segment,
        feature_key,
        count(*) as repeat_request_count,
        count(distinct query_hash) as repeated_query_count,
        sum(coalesce(cost_usd, 0)) as repeat_cost_usd
    from query_calls
    where query_call_rank > 1 and not is_cache_hit
    group by segment, feature_key

),

-- the three types ------------------------------------------------------------------------------

opportunities as (

    select
        segment,
        feature_key,
        'model_switch' as recommendation_type,
        evidence_request_count,
        current_model,
        suggested_model,
        suggested_request_count,
        cost_share_rate,
        current_quality_score,
        suggested_quality_score,
        current_thumbs_up_rate,
        suggested_thumbs_up_rate,
        cast(null as {{ type_double() }}) as prompt_tokens_per_request,
        cast(null as bigint) as repeat_request_count,
        cast(null as bigint) as repeated_query_count,
        current_cost_usd - repriced_cost_usd as window_saving_usd
    from model_switch
    where candidate_rank = 1

    union all

    select
        segment,
        feature_key,
        'prompt_compression' as recommendation_type,
        request_count as evidence_request_count,
        cast(null as {{ dbt.type_string() }}) as current_model,
        cast(null as {{ dbt.type_string() }}) as suggested_model,
        cast(null as bigint) as suggested_request_count,
        cast(null as {{ type_double() }}) as cost_share_rate,
        cast(null as {{ type_double() }}) as current_quality_score,
        cast(null as {{ type_double() }}) as suggested_quality_score,
        cast(null as {{ type_double() }}) as current_thumbs_up_rate,
        cast(null as {{ type_double() }}) as suggested_thumbs_up_rate,
        {{ safe_divide('prompt_tokens', 'request_count') }} as prompt_tokens_per_request,
        cast(null as bigint) as repeat_request_count,
        cast(null as bigint) as repeated_query_count,
        input_cost_usd * {{ var('recommendation_prompt_compression_rate') }} as window_saving_usd
    from segment_features
    where
        request_count >= {{ var('recommendation_min_requests') }}
        and prompt_tokens > {{ var('recommendation_max_prompt_tokens') }} * request_count

    union all

    select
        segment,
        feature_key,
        'cache_repeats' as recommendation_type,
        repeat_request_count as evidence_request_count,
        cast(null as {{ dbt.type_string() }}) as current_model,
        cast(null as {{ dbt.type_string() }}) as suggested_model,
        cast(null as bigint) as suggested_request_count,
        cast(null as {{ type_double() }}) as cost_share_rate,
        cast(null as {{ type_double() }}) as current_quality_score,
        cast(null as {{ type_double() }}) as suggested_quality_score,
        cast(null as {{ type_double() }}) as current_thumbs_up_rate,
        cast(null as {{ type_double() }}) as suggested_thumbs_up_rate,
        cast(null as {{ type_double() }}) as prompt_tokens_per_request,
        repeat_request_count,
        repeated_query_count,
        repeat_cost_usd as window_saving_usd
    from repeats
    where repeat_request_count >= {{ var('recommendation_min_repeat_requests') }}

),

final as (

    select
        {{ surrogate_key(['opportunities.segment', 'opportunities.feature_key', 'opportunities.recommendation_type']) }}
            as recommendation_id,
        opportunities.segment,
        opportunities.feature_key as feature_id,
        opportunities.recommendation_type,
        window_bounds.window_start_date,
        window_bounds.window_end_date,
        cast(segment_features.request_count as bigint) as request_count,
        cast(coalesce(segment_features.cost_usd, 0) as {{ type_double() }}) as window_cost_usd,
        cast(opportunities.evidence_request_count as bigint) as evidence_request_count,
        opportunities.current_model,
        opportunities.suggested_model,
        cast(opportunities.suggested_request_count as bigint) as suggested_request_count,
        cast(opportunities.cost_share_rate as {{ type_double() }}) as cost_share_rate,
        cast(opportunities.current_quality_score as {{ type_double() }}) as current_quality_score,
        cast(opportunities.suggested_quality_score as {{ type_double() }}) as suggested_quality_score,
        cast(opportunities.current_thumbs_up_rate as {{ type_double() }}) as current_thumbs_up_rate,
        cast(opportunities.suggested_thumbs_up_rate as {{ type_double() }}) as suggested_thumbs_up_rate,
        cast(opportunities.prompt_tokens_per_request as {{ type_double() }}) as prompt_tokens_per_request,
        opportunities.repeat_request_count,
        opportunities.repeated_query_count,
        cast(opportunities.window_saving_usd as {{ type_double() }}) as window_saving_usd,
        cast(opportunities.window_saving_usd * window_bounds.monthly_factor as {{ type_double() }})
            as estimated_monthly_saving_usd
    from opportunities
    inner join segment_features
        on opportunities.segment = segment_features.segment and opportunities.feature_key = segment_features.feature_key
    cross join window_bounds

)

select * from final
