-- Statistical distribution functions in plain SQL arithmetic (exp, ln, sqrt, greatest, case), so
-- they run unchanged on DuckDB, PostgreSQL 15 (no erf, lgamma or distribution functions) and Spark.
-- Iterative algorithms are unrolled to a fixed depth by Jinja loops (no recursive CTE) and their
-- continued fractions are evaluated backwards, from the deepest term up, which is one nested
-- expression whose length grows linearly with the depth. Arguments are pasted into the SQL many
-- times: pass column names (compute the argument in a CTE column first), not long expressions.
-- exp() arguments are floored at -700: PostgreSQL raises an error on a float underflow, and a
-- probability below 1e-304 is reported as about 1e-304. Accuracy (tests/python/test_stats_macros.py):
-- relative 1e-9 against scipy.stats.

{#- ln of the Lanczos series (g = 7, 9 coefficients): ln(Gamma(z)) = 0.5 ln(2 pi) + (z - 0.5)
    ln(z + 6.5) - (z + 6.5) + stats_lanczos_log_sum(z), for z >= 0.5. -#}
{% macro stats_lanczos_log_sum(z) -%}
    {%- set coefficients = [
        676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
    ] -%}
    ln(0.99999999999980993
    {%- for c in coefficients %} + ({{ c }}) / (({{ z }}) + {{ loop.index0 }}){% endfor -%}
    )
{%- endmacro %}

{% macro stats_log_gamma(z) -%}
    (0.9189385332046727 + (({{ z }}) - 0.5) * ln(({{ z }}) + 6.5) - (({{ z }}) + 6.5)
    + {{ stats_lanczos_log_sum(z) }})
{%- endmacro %}

{#- ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b), with the large Lanczos terms of a and
    a + b combined before they are added (ln of a ratio) so that nothing cancels when a is large;
    most accurate with a >= b (the t distribution calls it with a = df / 2, b = 0.5). -#}
{% macro stats_log_beta(a, b) -%}
    (0.9189385332046727 - 6.5
    + (({{ a }}) - 0.5) * ln((({{ a }}) + 6.5) / (({{ a }}) + ({{ b }}) + 6.5))
    + (({{ b }}) - 0.5) * ln(({{ b }}) + 6.5)
    - ({{ b }}) * ln(({{ a }}) + ({{ b }}) + 6.5)
    + {{ stats_lanczos_log_sum(a) }} + {{ stats_lanczos_log_sum(b) }}
    - {{ stats_lanczos_log_sum('(' ~ a ~ ') + (' ~ b ~ ')') }})
{%- endmacro %}

{#- The continued fraction of the incomplete beta (Numerical Recipes' betacf), evaluated backwards:
    1 / (1 + d1 / (1 + d2 / (1 + ...))). -#}
{% macro stats_beta_continued_fraction(x, a, b, depth) -%}
    {%- set ns = namespace(tail='0') -%}
    {%- for k in range(depth, 0, -1) -%}
        {%- set m = k // 2 -%}
        {%- if k % 2 == 1 -%}
            {%- set d = '-((' ~ a ~ ') + ' ~ m ~ ') * ((' ~ a ~ ') + (' ~ b ~ ') + ' ~ m ~ ') * (' ~ x
                ~ ') / (((' ~ a ~ ') + ' ~ 2 * m ~ ') * ((' ~ a ~ ') + ' ~ (2 * m + 1) ~ '))' -%}
        {%- else -%}
            {%- set d = m ~ ' * ((' ~ b ~ ') - ' ~ m ~ ') * (' ~ x ~ ') / (((' ~ a ~ ') + ' ~ (2 * m - 1)
                ~ ') * ((' ~ a ~ ') + ' ~ 2 * m ~ '))' -%}
        {%- endif -%}
        {%- set ns.tail = '(' ~ d ~ ') / (1 + ' ~ ns.tail ~ ')' -%}
    {%- endfor -%}
    (1 / (1 + {{ ns.tail }}))
{%- endmacro %}

{% macro stats_regularized_beta(x, a, b, y=none, depth=60) -%}
    {%- set y = y if y is not none else '(1 - (' ~ x ~ '))' -%}
    {%- set direct = '(' ~ x ~ ') < ((' ~ a ~ ') + 1) / ((' ~ a ~ ') + (' ~ b ~ ') + 2)' -%}
    (case
        when ({{ x }}) <= 0 then 0.0
        when ({{ y }}) <= 0 then 1.0
        else
            (case when {{ direct }} then 0.0 else 1.0 end)
            + (case when {{ direct }} then 1.0 else -1.0 end)
            * exp(greatest(
                ({{ a }}) * ln({{ x }}) + ({{ b }}) * ln({{ y }}) - {{ stats_log_beta(a, b) }}, -700
            ))
            * (case
                when {{ direct }} then {{ stats_beta_continued_fraction(x, a, b, depth) }} / ({{ a }})
                else {{ stats_beta_continued_fraction(y, b, a, depth) }} / ({{ b }})
            end)
    end)
{%- endmacro %}

{% macro stats_regularized_upper_gamma(a, x, depth=30) -%}
    {%- set series = namespace(text='1') -%}
    {%- for n in range(depth, 0, -1) -%}
        {%- set series.text = '(1 + (' ~ x ~ ') / ((' ~ a ~ ') + ' ~ n ~ ') * ' ~ series.text ~ ')' -%}
    {%- endfor -%}
    {%- set fraction = namespace(text='0') -%}
    {%- for n in range(depth, 0, -1) -%}
        {%- set fraction.text = '(' ~ n ~ ' * (' ~ n ~ ' - (' ~ a ~ ')) / ((' ~ x ~ ') + ' ~ (2 * n + 1)
            ~ ' - (' ~ a ~ ') - ' ~ fraction.text ~ '))' -%}
    {%- endfor -%}
    {%- set use_series = '(' ~ x ~ ') < (' ~ a ~ ') + 1' -%}
    (case
        when ({{ x }}) <= 0 then 1.0
        else
            (case when {{ use_series }} then 1.0 else 0.0 end)
            + (case when {{ use_series }} then -1.0 else 1.0 end)
            * exp(greatest(({{ a }}) * ln({{ x }}) - ({{ x }}) - {{ stats_log_gamma(a) }}, -700))
            * (case
                when {{ use_series }} then {{ series.text }} / ({{ a }})
                else 1 / (({{ x }}) + 1 - ({{ a }}) - {{ fraction.text }})
            end)
    end)
{%- endmacro %}

{% macro stats_normal_two_sided_p(z) -%}
    {{ stats_regularized_upper_gamma('0.5', '(' ~ z ~ ') * (' ~ z ~ ') / 2') }}
{%- endmacro %}

{% macro stats_normal_cdf(x) -%}
    ((case when ({{ x }}) < 0 then 0.0 else 1.0 end)
    + (case when ({{ x }}) < 0 then 0.5 else -0.5 end) * {{ stats_normal_two_sided_p(x) }})
{%- endmacro %}

{% macro stats_t_two_sided_p(t, df) -%}
    {%- set denominator = '((' ~ df ~ ') + (' ~ t ~ ') * (' ~ t ~ '))' -%}
    {{ stats_regularized_beta(
        '(' ~ df ~ ') / ' ~ denominator, '(' ~ df ~ ') / 2', '0.5',
        y='(' ~ t ~ ') * (' ~ t ~ ') / ' ~ denominator
    ) }}
{%- endmacro %}

{% macro stats_t_cdf(t, df) -%}
    ((case when ({{ t }}) < 0 then 0.0 else 1.0 end)
    + (case when ({{ t }}) < 0 then 0.5 else -0.5 end) * {{ stats_t_two_sided_p(t, df) }})
{%- endmacro %}

{% macro stats_chi_square_sf(x, df) -%}
    {{ stats_regularized_upper_gamma('(' ~ df ~ ') / 2', '(' ~ x ~ ') / 2') }}
{%- endmacro %}

{#- Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5) of the t quantile from the normal one,
    z a number: a start for stats_t_quantile_halley. -#}
{% macro stats_t_quantile_guess(z, df) -%}
    {%- set g1 = (z ** 3 + z) / 4 -%}
    {%- set g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96 -%}
    {%- set g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384 -%}
    {%- set g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160 -%}
    ({{ z }} + {{ g1 }} / ({{ df }}) + {{ g2 }} / (({{ df }}) * ({{ df }}))
    + {{ g3 }} / (({{ df }}) * ({{ df }}) * ({{ df }}))
    + {{ g4 }} / (({{ df }}) * ({{ df }}) * ({{ df }}) * ({{ df }})))
{%- endmacro %}

{#- I_x(a, b) when the caller has already put the arguments on the side where the continued
    fraction converges (x < (a + 1) / (a + b + 2); swapped: true when that took 1 - x, b, a, so
    the result is 1 - the fraction's value): one continued fraction instead of stats_regularized_beta's
    two, which keeps the SQL and DuckDB's planning time down. Arguments are columns. -#}
{% macro stats_regularized_beta_presorted(x, y, a, b, swapped, depth=40) -%}
    (case when ({{ swapped }}) then 1.0 else 0.0 end
    + (case when ({{ swapped }}) then -1.0 else 1.0 end)
    * (case
        when ({{ x }}) <= 0 then 0.0
        else
            exp(greatest(
                ({{ a }}) * ln({{ x }}) + ({{ b }}) * ln({{ y }}) - {{ stats_log_beta(a, b) }}, -700
            ))
            * {{ stats_beta_continued_fraction(x, a, b, depth) }} / ({{ a }})
    end))
{%- endmacro %}

{#- The Student t density at t with df degrees of freedom. -#}
{% macro stats_t_density(t, df) -%}
    (exp(
        -{{ stats_log_beta('(' ~ df ~ ') / 2', '0.5') }}
        - (({{ df }}) + 1) / 2 * ln(1 + ({{ t }}) * ({{ t }}) / ({{ df }}))
    ) / sqrt({{ df }}))
{%- endmacro %}

{#- One Halley step towards the t > 0 whose two-sided p-value is alpha: with h = p(t) - alpha,
    h' = -2 f(t), h'' = 2 f(t) (df + 1) t / (df + t²), t - 2 h h' / (2 h'² - h h''). Cubic
    convergence: two steps from stats_t_quantile_guess reach 1e-10 from df 1 on. two_sided_p and
    density: columns holding p(t) and f(t). -#}
{% macro stats_t_quantile_halley(t, df, alpha, two_sided_p, density) -%}
    (({{ t }}) - 2 * (({{ two_sided_p }}) - {{ alpha }}) * (-2 * ({{ density }}))
    / (
        2 * (2 * ({{ density }})) * (2 * ({{ density }}))
        - (({{ two_sided_p }}) - {{ alpha }}) * 2 * ({{ density }}) * (({{ df }}) + 1) * ({{ t }})
        / (({{ df }}) + ({{ t }}) * ({{ t }}))
    ))
{%- endmacro %}

{#- `name as {{ stats_materialized() }} (...)`: a CTE the engine must compute once. The statistics
    chain CTE columns that each later step pastes in many times (the unrolled fractions); inlined,
    as PostgreSQL inlines a CTE read once, the expressions multiply step after step and planning
    runs out of memory. Spark has no such hint (it inlines CTEs): cache the step instead there. -#}
{% macro stats_materialized() -%}
    {{ return(adapter.dispatch('stats_materialized', 'llm_analytics')()) }}
{%- endmacro %}
{% macro default__stats_materialized() -%}materialized{%- endmacro %}
{% macro spark__stats_materialized() -%}{%- endmacro %}
