-- Grain: one row per experiment x variant x metric. Each variant is compared with the experiment's
-- control variant (var experiment_control_variant; when an experiment has no variant of that name,
-- its alphabetically first variant). Only activity at or after the user's assigned_at counts (all
-- of it when assigned_at is null). Metrics (their observations):
--   conversion_rate   rate  assigned users who entered the default funnel (var default_funnel)
--                           after assignment; 1 when one of those entries reached its last step
--                           within var funnel_conversion_window_days (int_funnel_progress)
--   thumbs_up_rate    rate  calls after assignment with a thumbs up or down; 1 when up
--   avg_rating        mean  calls after assignment with a rating: the call's avg_rating
--   cost_per_user_usd mean  every assigned user: cost_usd of their calls after assignment
--   requests_per_user mean  every assigned user: their calls after assignment
-- Rates: two-proportion z-test (pooled standard error), Wald interval (unpooled). Means: Welch's
-- t-test with Welch-Satterthwaite degrees of freedom. Intervals are 95%. Sample-ratio mismatch:
-- chi-square test of the users per variant against an equal split. docs/experiments.md.
-- A plain table: one pass over the calls after assignment, cheap next to the marts beside it.

{%- set rate_metrics = ['conversion_rate', 'thumbs_up_rate'] %}
{%- set metrics = rate_metrics + ['avg_rating', 'cost_per_user_usd', 'requests_per_user'] %}
{#- the interval's level is fixed: the normal quantile of 0.975 starts the t quantile -#}
{%- set interval_alpha = 0.05 %}
{%- set z_975 = 1.959963984540054 %}

with

assignments as (

    select
        experiment_id,
        variant,
        user_id,
        assigned_at
    from {{ ref('dim_user_experiments') }}

),

calls as (

    select
        requests.request_id,
        requests.user_id,
        requests.occurred_at,
        requests.cost_usd,
        feedback.has_thumbs_up,
        feedback.has_thumbs_down,
        feedback.rating_count,
        feedback.avg_rating
    from {{ ref('fct_llm_requests') }} as requests
    inner join {{ ref('fct_llm_request_feedback') }} as feedback
        on requests.request_id = feedback.request_id
    where requests.user_id is not null

),

assigned_calls as (

    select
        assignments.experiment_id,
        assignments.variant,
        assignments.user_id,
        calls.request_id,
        calls.cost_usd,
        calls.has_thumbs_up,
        calls.has_thumbs_down,
        calls.rating_count,
        calls.avg_rating
    from assignments
    inner join calls
        on
            assignments.user_id = calls.user_id
            and (assignments.assigned_at is null or calls.occurred_at >= assignments.assigned_at)

),

user_usage as (

    select
        assignments.experiment_id,
        assignments.variant,
        assignments.user_id,
        count(assigned_calls.request_id) as request_count,
        coalesce(sum(assigned_calls.cost_usd), 0) as cost_usd
    from assignments
    left join assigned_calls
        on
            assignments.experiment_id = assigned_calls.experiment_id
            and assignments.user_id = assigned_calls.user_id
    group by assignments.experiment_id, assignments.variant, assignments.user_id

),

last_step as (

    select max(step_order) as step_order
    from {{ ref('funnel_steps') }}
    where funnel_name = '{{ var("default_funnel") }}'

),

funnel_users as (

    select
        assignments.experiment_id,
        assignments.variant,
        assignments.user_id,
        max(case when progress.step_order = last_step.step_order then 1 else 0 end) as converted
    from assignments
    inner join {{ ref('int_funnel_progress') }} as progress
        on
            assignments.user_id = progress.user_id
            and (assignments.assigned_at is null or progress.entered_at >= assignments.assigned_at)
    cross join last_step
    where progress.funnel_name = '{{ var("default_funnel") }}'
    group by assignments.experiment_id, assignments.variant, assignments.user_id

),

observations as (

    -- one row per observation of a metric: a 0/1 for rates, a number for means
    select
        experiment_id,
        variant,
        'conversion_rate' as metric_name,
        cast(converted as {{ type_double() }}) as observed
    from funnel_users
    union all
    select
        experiment_id,
        variant,
        'thumbs_up_rate' as metric_name,
        cast(case when has_thumbs_up then 1 else 0 end as {{ type_double() }}) as observed
    from assigned_calls
    where has_thumbs_up or has_thumbs_down
    union all
    select
        experiment_id,
        variant,
        'avg_rating' as metric_name,
        cast(avg_rating as {{ type_double() }}) as observed
    from assigned_calls
    where rating_count > 0
    union all
    select
        experiment_id,
        variant,
        'cost_per_user_usd' as metric_name,
        cast(cost_usd as {{ type_double() }}) as observed
    from user_usage
    union all
    select
        experiment_id,
        variant,
        'requests_per_user' as metric_name,
        cast(request_count as {{ type_double() }}) as observed
    from user_usage

),

metric_aggregates as (

    select
        experiment_id,
        variant,
        metric_name,
        count(*) as observation_count,
        avg(observed) as metric_value,
        var_samp(observed) as metric_variance
    from observations
    group by experiment_id, variant, metric_name

),

variant_users as (

    select
        experiment_id,
        variant,
        count(*) as user_count
    from assignments
    group by experiment_id, variant

),

experiment_users as (

    select
        experiment_id,
        cast(sum(user_count) as {{ type_double() }}) as user_count,
        count(*) as variant_count,
        coalesce(
            max(case when variant = '{{ var("experiment_control_variant") }}' then variant end),
            min(variant)
        ) as control_variant
    from variant_users
    group by experiment_id

),

sample_ratio as (

    -- Pearson's chi-square of the users per variant against an equal split, k - 1 degrees of freedom
    select
        variant_users.experiment_id,
        cast(max(experiment_users.variant_count) - 1 as {{ type_double() }}) as srm_df,
        sum(
            (variant_users.user_count - experiment_users.user_count / experiment_users.variant_count)
            * (variant_users.user_count - experiment_users.user_count / experiment_users.variant_count)
            / (experiment_users.user_count / experiment_users.variant_count)
        ) as srm_chi_square
    from variant_users
    inner join experiment_users on variant_users.experiment_id = experiment_users.experiment_id
    group by variant_users.experiment_id

),

sample_ratio_tested as (

    select
        experiment_id,
        case
            when srm_df > 0 then {{ stats_chi_square_sf('srm_chi_square', 'srm_df') }}
        end as srm_p_value
    from sample_ratio

),

metric_spine as (

    {%- for metric in metrics %}
        select
            '{{ metric }}' as metric_name,
            '{{ "rate" if metric in rate_metrics else "mean" }}' as metric_type
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

compared as (

    select
        variant_users.experiment_id,
        variant_users.variant,
        metric_spine.metric_name,
        metric_spine.metric_type,
        experiment_users.control_variant,
        variant_users.variant = experiment_users.control_variant as is_control,
        variant_users.user_count,
        coalesce(treated.observation_count, 0) as observation_count,
        treated.metric_value,
        control.metric_value as control_value,
        case when variant_users.variant != experiment_users.control_variant then
            treated.metric_value - control.metric_value
        end as difference,
        cast(treated.observation_count as {{ type_double() }}) as n1,
        cast(control.observation_count as {{ type_double() }}) as n0,
        treated.metric_variance as variance1,
        control.metric_variance as variance0,
        -- rates: the pooled proportion
        (treated.metric_value * treated.observation_count + control.metric_value * control.observation_count)
        / (treated.observation_count + control.observation_count) as pooled_rate
    from variant_users
    inner join experiment_users on variant_users.experiment_id = experiment_users.experiment_id
    cross join metric_spine
    left join metric_aggregates as treated
        on
            variant_users.experiment_id = treated.experiment_id
            and variant_users.variant = treated.variant
            and metric_spine.metric_name = treated.metric_name
    left join metric_aggregates as control
        on
            experiment_users.experiment_id = control.experiment_id
            and experiment_users.control_variant = control.variant
            and metric_spine.metric_name = control.metric_name

),

standard_errors as (

    select
        *,
        case when metric_type = 'rate' then
            sqrt(pooled_rate * (1 - pooled_rate) * (1 / n1 + 1 / n0))
        else
            sqrt(variance1 / n1 + variance0 / n0)
        end as test_se,
        case when metric_type = 'rate' then
            sqrt(metric_value * (1 - metric_value) / n1 + control_value * (1 - control_value) / n0)
        else
            sqrt(variance1 / n1 + variance0 / n0)
        end as interval_se
    from compared

),

statistics as {{ stats_materialized() }} (

    select
        *,
        case when test_se > 0 then difference / test_se end as test_statistic,
        abs(case when test_se > 0 then difference / test_se end) as abs_statistic,
        -- Welch-Satterthwaite
        case when metric_type = 'mean' and test_se > 0 and n1 > 1 and n0 > 1 then
            (variance1 / n1 + variance0 / n0) * (variance1 / n1 + variance0 / n0)
            / (
                (variance1 / n1) * (variance1 / n1) / (n1 - 1)
                + (variance0 / n0) * (variance0 / n0) / (n0 - 1)
            )
        end as degrees_of_freedom
    from standard_errors

),

{#- Student t probabilities, each in two CTEs: the first puts the incomplete beta's arguments
    x = df / (df + t²), a = df / 2, b = 1/2 on the side where its continued fraction converges
    (swapped: 1 - x, b, a), the second evaluates one fraction on those columns. The interval's t
    quantile: a Cornish-Fisher start and halley_steps Halley steps; then the test's p-value. -#}
{%- set halley_steps = 2 %}
{%- set carried = [
    'experiment_id', 'variant', 'metric_name', 'metric_type', 'control_variant', 'is_control',
    'user_count', 'observation_count', 'metric_value', 'control_value', 'difference', 'interval_se',
    'test_statistic', 'abs_statistic', 'half_z_square', 'degrees_of_freedom', 't_quantile'
] %}

t_quantile_0 as {{ stats_materialized() }} (

    select
        *,
        abs_statistic * abs_statistic / 2 as half_z_square,
        {{ stats_t_quantile_guess(z_975, 'degrees_of_freedom') }} as t_quantile
    from statistics

),

{%- for step in range(halley_steps + 1) %}
    {%- set t = 't_quantile' if step < halley_steps else 'abs_statistic' %}

    t_sorted_{{ step }} as {{ stats_materialized() }} (

        select
            {%- for column in carried %}
                {{ column }},
            {%- endfor %}
            {%- set x = 'degrees_of_freedom / (degrees_of_freedom + ' ~ t ~ ' * ' ~ t ~ ')' %}
            {%- set y = t ~ ' * ' ~ t ~ ' / (degrees_of_freedom + ' ~ t ~ ' * ' ~ t ~ ')' %}
            {%- set swapped = x ~ ' >= (degrees_of_freedom / 2 + 1) / (degrees_of_freedom / 2 + 2.5)' %}
            {{ swapped }} as cf_swapped,
            case when {{ swapped }} then {{ y }} else {{ x }} end as cf_x,
            case when {{ swapped }} then {{ x }} else {{ y }} end as cf_y,
            case when {{ swapped }} then 0.5 else degrees_of_freedom / 2 end as cf_a,
            case when {{ swapped }} then degrees_of_freedom / 2 else 0.5 end as cf_b
        from t_quantile_{{ step }}

    ),

    t_probability_{{ step }} as {{ stats_materialized() }} (

        select
            *,
            {{ stats_regularized_beta_presorted('cf_x', 'cf_y', 'cf_a', 'cf_b', 'cf_swapped') }} as t_p_value,
            {{ stats_t_density(t, 'degrees_of_freedom') }} as t_density
        from t_sorted_{{ step }}

    ),

    {%- if step < halley_steps %}

        t_quantile_{{ step + 1 }} as {{ stats_materialized() }} (

            select
                {%- for column in carried if column != 't_quantile' %}
                    {{ column }},
                {%- endfor %}
                {{ stats_t_quantile_halley(
                    't_quantile', 'degrees_of_freedom', interval_alpha, 't_p_value', 't_density'
                ) }} as t_quantile
            from t_probability_{{ step }}

        ),

    {%- endif %}

{%- endfor %}

tested as {{ stats_materialized() }} (

    select
        *,
        case
            -- two-sided normal p = Q(1/2, z² / 2)
            when metric_type = 'rate' then {{ stats_regularized_upper_gamma('0.5', 'half_z_square') }}
            else t_p_value
        end as p_value,
        case when metric_type = 'rate' then {{ z_975 }} else t_quantile end as interval_quantile
    from t_probability_{{ halley_steps }}

),

final as (

    select
        {{ surrogate_key(['tested.experiment_id', 'tested.variant', 'tested.metric_name']) }}
            as experiment_result_id,
        tested.experiment_id,
        tested.variant,
        tested.metric_name,
        tested.metric_type,
        tested.control_variant,
        tested.is_control,
        cast(tested.user_count as bigint) as user_count,
        cast(tested.observation_count as bigint) as observation_count,
        cast(tested.metric_value as {{ type_double() }}) as metric_value,
        cast(tested.control_value as {{ type_double() }}) as control_value,
        cast(tested.difference as {{ type_double() }}) as difference,
        cast(
            case when tested.control_value != 0 then tested.difference / tested.control_value end
            as {{ type_double() }}
        ) as relative_difference,
        cast(tested.difference - tested.interval_quantile * tested.interval_se as {{ type_double() }})
            as difference_ci_lower,
        cast(tested.difference + tested.interval_quantile * tested.interval_se as {{ type_double() }})
            as difference_ci_upper,
        cast(case when not tested.is_control then tested.test_statistic end as {{ type_double() }})
            as test_statistic,
        cast(case when not tested.is_control then tested.degrees_of_freedom end as {{ type_double() }})
            as degrees_of_freedom,
        cast(case when not tested.is_control then tested.p_value end as {{ type_double() }}) as p_value,
        coalesce(not tested.is_control and tested.p_value < {{ var('experiment_alpha') }}, false)
            as is_significant,
        cast(sample_ratio_tested.srm_p_value as {{ type_double() }}) as srm_p_value,
        coalesce(sample_ratio_tested.srm_p_value < {{ var('experiment_srm_alpha') }}, false)
            as has_sample_ratio_mismatch
    from tested
    inner join sample_ratio_tested on tested.experiment_id = sample_ratio_tested.experiment_id

)

select * from final
