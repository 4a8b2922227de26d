{{
    config(
        materialized='incremental',
        unique_key='activity_hour',
        meta={'recent_column': 'last_loaded_at'}
    )
}}

-- The alert scripts' input. Grain: one row per UTC hour x scope, where scope is 'overall' or one
-- provider/model, from the scope's first hour with traffic to the last hour with any traffic.
-- Hours without traffic are present with request_count 0, so a drop shows.
-- Counts per hour for the statistical conditions (tokens, regenerations, thumbs, one per error type
-- in var error_types), whose baselines are pooled over hours by `llm-analytics alerts`.
-- For each metric: the value and two baselines, each with its mean, sample standard deviation,
-- number of hours that had a value, and z-score (value - mean) / stddev:
-- - trailing (M_baseline_*): every hour of the previous var alert_baseline_days days of the scope;
-- - same hour (M_same_hour_*): the same UTC hour of day on each of those days, so the diurnal cycle
--   is in the baseline rather than in the z-score (an ordinary afternoon is compared with afternoons).
-- The hour itself is excluded from both.
-- Incremental: a call (or its feedback) loaded within the lookback (after the newest call
-- already here) changes its hour and the baselines of every later hour, so every hour from the
-- earliest such call's hour on is recomputed, from the calls of the var alert_baseline_days
-- days before it onwards.

-- depends_on: {{ ref('fct_llm_request_feedback') }} (read on incremental runs only)

{%- set metrics = ['request_count', 'latency_p95_ms', 'ttft_p95_ms', 'error_rate', 'cost_usd', 'avg_rating'] %}
{%- set window_hours = var('alert_baseline_days') * 24 %}
-- Why an incremental run equals a full refresh: docs/incremental.md.

with

all_requests as {{ not_materialized() }} (

    select * from {{ ref('fct_llm_requests') }}

),

bounds as (

    select
        -- the first hour with a call loaded, or given feedback, since the watermark, or this
        -- model's last hour (so the quiet hours between it and new traffic are written too)
        {{ incremental_scope_start('all_requests', 'request_hour', touched_via(
            'all_requests', 'request_hour', 'request_id',
            touched(ref('fct_llm_request_feedback'), 'request_id', 'last_loaded_at')
        ) ~ ' union select max(activity_hour) as request_hour from ' ~ this) }} as first_hour,
        max(request_hour) as last_hour
    from all_requests

),

-- the calls whose hours are recomputed, and those in the baseline window before them
requests as (

    select all_requests.*
    from all_requests
    cross join bounds
    where all_requests.request_hour >= {{ dbt.dateadd('hour', -window_hours, 'bounds.first_hour') }}

),

feedback as {{ not_materialized() }} (

    select * from {{ ref('fct_feedback') }}

),

ratings as (

    select
        requests.request_hour,
        requests.provider,
        requests.model_id,
        feedback.rating
    from feedback
    inner join requests on feedback.request_id = requests.request_id
    where feedback.feedback_type = 'rating'

),

-- thumbs up or down on the hour's calls: the thumbs-down rate's numerator and denominator
thumbs as (

    select
        requests.request_hour,
        requests.provider,
        requests.model_id,
        feedback.feedback_type
    from feedback
    inner join requests on feedback.request_id = requests.request_id
    where feedback.feedback_type in ('thumbs_up', 'thumbs_down')

),

-- each scope from its first hour with traffic (over all calls, so a full refresh agrees)
scopes as (

    select
        'provider_model' as scope_type,
        {{ dbt.concat(['provider', "'/'", 'model_id']) }} as scope_key,
        provider,
        model_id,
        min(request_hour) as first_hour
    from all_requests
    group by provider, model_id
    union all
    select
        'overall' as scope_type,
        'overall' as scope_key,
        cast(null as {{ dbt.type_string() }}) as provider,
        cast(null as {{ dbt.type_string() }}) as model_id,
        min(request_hour) as first_hour
    from all_requests

),

hours as (

    select series_ts as activity_hour
    from {{ timestamp_series(
        '(select ' ~ dbt.dateadd('hour', -window_hours, 'first_hour') ~ ' from bounds)',
        '(select last_hour from bounds)',
        '1 hour'
    ) }}

),

spine as (

    select
        hours.activity_hour,
        scopes.scope_type,
        scopes.scope_key,
        scopes.provider,
        scopes.model_id
    from hours
    inner join scopes on hours.activity_hour >= scopes.first_hour

),

by_model as (

    select
        request_hour as activity_hour,
        {{ dbt.concat(['provider', "'/'", 'model_id']) }} as scope_key,
        count(*) as request_count,
        sum(case when is_error then 1 else 0 end) as error_count,
        {{ percentile_cont('total_latency_ms', 0.95) }} as latency_p95_ms,
        {{ percentile_cont('ttft_ms', 0.95) }} as ttft_p95_ms,
        sum(cost_usd) as cost_usd,
        sum(total_tokens) as total_tokens,
        sum(case when is_regenerated then 1 else 0 end) as regeneration_count,
        {%- for error_type in var('error_types') %}
            sum(case when error_type = '{{ error_type }}' then 1 else 0 end) as {{ error_type }}_count,
        {%- endfor %}
        max(loaded_at) as last_loaded_at
    from requests
    group by request_hour, provider, model_id

),

overall as (

    select
        request_hour as activity_hour,
        'overall' as scope_key,
        count(*) as request_count,
        sum(case when is_error then 1 else 0 end) as error_count,
        {{ percentile_cont('total_latency_ms', 0.95) }} as latency_p95_ms,
        {{ percentile_cont('ttft_ms', 0.95) }} as ttft_p95_ms,
        sum(cost_usd) as cost_usd,
        sum(total_tokens) as total_tokens,
        sum(case when is_regenerated then 1 else 0 end) as regeneration_count,
        {%- for error_type in var('error_types') %}
            sum(case when error_type = '{{ error_type }}' then 1 else 0 end) as {{ error_type }}_count,
        {%- endfor %}
        max(loaded_at) as last_loaded_at
    from requests
    group by request_hour

),

rating_by_model as (

    select
        request_hour as activity_hour,
        {{ dbt.concat(['provider', "'/'", 'model_id']) }} as scope_key,
        avg(cast(rating as {{ type_double() }})) as avg_rating,
        count(*) as rating_count
    from ratings
    group by request_hour, provider, model_id

),

rating_overall as (

    select
        request_hour as activity_hour,
        'overall' as scope_key,
        avg(cast(rating as {{ type_double() }})) as avg_rating,
        count(*) as rating_count
    from ratings
    group by request_hour

),

thumbs_by_model as (

    select
        request_hour as activity_hour,
        {{ dbt.concat(['provider', "'/'", 'model_id']) }} as scope_key,
        count(*) as thumbs_count,
        sum(case when feedback_type = 'thumbs_down' then 1 else 0 end) as thumbs_down_count
    from thumbs
    group by request_hour, provider, model_id

),

thumbs_overall as (

    select
        request_hour as activity_hour,
        'overall' as scope_key,
        count(*) as thumbs_count,
        sum(case when feedback_type = 'thumbs_down' then 1 else 0 end) as thumbs_down_count
    from thumbs
    group by request_hour

),

observed as (

    select * from by_model
    union all
    select * from overall

),

rated as (

    select * from rating_by_model
    union all
    select * from rating_overall

),

thumbed as (

    select * from thumbs_by_model
    union all
    select * from thumbs_overall

),

hourly as (

    select
        spine.activity_hour,
        spine.scope_type,
        spine.scope_key,
        spine.provider,
        spine.model_id,
        cast(extract(hour from spine.activity_hour) as integer) as hour_of_day,
        coalesce(observed.request_count, 0) as request_count,
        coalesce(observed.error_count, 0) as error_count,
        {{ safe_divide('observed.error_count', 'observed.request_count') }} as error_rate,
        observed.latency_p95_ms,
        observed.ttft_p95_ms,
        coalesce(observed.cost_usd, 0) as cost_usd,
        rated.avg_rating,
        coalesce(rated.rating_count, 0) as rating_count,
        coalesce(observed.total_tokens, 0) as total_tokens,
        coalesce(observed.regeneration_count, 0) as regeneration_count,
        coalesce(thumbed.thumbs_count, 0) as thumbs_count,
        coalesce(thumbed.thumbs_down_count, 0) as thumbs_down_count,
        {{ safe_divide('thumbed.thumbs_down_count', 'thumbed.thumbs_count') }} as thumbs_down_rate,
        {%- for error_type in var('error_types') %}
            coalesce(observed.{{ error_type }}_count, 0) as {{ error_type }}_count,
        {%- endfor %}
        observed.last_loaded_at
    from spine
    left join observed
        on spine.activity_hour = observed.activity_hour and spine.scope_key = observed.scope_key
    left join rated
        on spine.activity_hour = rated.activity_hour and spine.scope_key = rated.scope_key
    left join thumbed
        on spine.activity_hour = thumbed.activity_hour and spine.scope_key = thumbed.scope_key

),

baselines as (

    select
        *,
        {%- for m in metrics %}
            avg({{ m }}) over trailing_window as {{ m }}_baseline_mean,
            stddev_samp({{ m }}) over trailing_window as {{ m }}_baseline_stddev,
            count({{ m }}) over trailing_window as {{ m }}_baseline_hours,
            avg({{ m }}) over same_hour_window as {{ m }}_same_hour_mean,
            stddev_samp({{ m }}) over same_hour_window as {{ m }}_same_hour_stddev,
            count({{ m }}) over same_hour_window as {{ m }}_same_hour_hours{% if not loop.last %},{% endif %}
        {%- endfor %}
    from hourly
    window
        trailing_window as (
            partition by scope_key
            order by activity_hour
            rows between {{ window_hours }} preceding and 1 preceding
        ),
        -- the spine is dense, so within one hour of day a row is a day
        same_hour_window as (
            partition by scope_key, hour_of_day
            order by activity_hour
            rows between {{ var('alert_baseline_days') }} preceding and 1 preceding
        )

),

final as (

    select
        activity_hour,
        scope_type,
        scope_key,
        provider,
        model_id,
        cast(error_count as bigint) as error_count,
        cast(rating_count as bigint) as rating_count,
        -- counts the statistical conditions test (pooled over their baseline hours in Python)
        cast(total_tokens as bigint) as total_tokens,
        cast(regeneration_count as bigint) as regeneration_count,
        cast(thumbs_count as bigint) as thumbs_count,
        cast(thumbs_down_count as bigint) as thumbs_down_count,
        cast(thumbs_down_rate as {{ type_double() }}) as thumbs_down_rate,
        {%- for error_type in var('error_types') %}
            cast({{ error_type }}_count as bigint) as {{ error_type }}_count,
        {%- endfor %}
        {%- for m in metrics %}
            cast({{ m }} as {{ 'bigint' if m == 'request_count' else type_double() }}) as {{ m }},
            cast({{ m }}_baseline_mean as {{ type_double() }}) as {{ m }}_baseline_mean,
            cast({{ m }}_baseline_stddev as {{ type_double() }}) as {{ m }}_baseline_stddev,
            cast({{ m }}_baseline_hours as bigint) as {{ m }}_baseline_hours,
            cast(({{ m }} - {{ m }}_baseline_mean) / nullif({{ m }}_baseline_stddev, 0) as {{ type_double() }})
                as {{ m }}_zscore,
            cast({{ m }}_same_hour_mean as {{ type_double() }}) as {{ m }}_same_hour_mean,
            cast({{ m }}_same_hour_stddev as {{ type_double() }}) as {{ m }}_same_hour_stddev,
            cast({{ m }}_same_hour_hours as bigint) as {{ m }}_same_hour_hours,
            cast(({{ m }} - {{ m }}_same_hour_mean) / nullif({{ m }}_same_hour_stddev, 0) as {{ type_double() }})
                as {{ m }}_same_hour_zscore,
        {%- endfor %}
        last_loaded_at
    from baselines
    {% if is_incremental() -%}
        where activity_hour >= (select first_hour from bounds)
    {%- endif %}

)

select * from final
