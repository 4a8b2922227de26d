{#- Engine differences live here, behind adapter.dispatch. A new engine needs only a
    `<adapter>__<macro>` implementation of each macro below; the models never change.
    docs/engines.md lists the measured differences between the engines. -#}

{#- A 64-bit float. dbt.type_float() is 4-byte on DuckDB and Spark, so we use our own. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'llm_analytics')()) }}
{%- endmacro %}
{% macro default__type_double() -%}double precision{%- endmacro %}
{% macro spark__type_double() -%}double{%- endmacro %}

{#- Lower-case hex SHA-256 of a text expression. -#}
{% macro sha256_hex(expr) -%}
    {{ return(adapter.dispatch('sha256_hex', 'llm_analytics')(expr)) }}
{%- endmacro %}
{% macro default__sha256_hex(expr) -%}sha256({{ expr }}){%- endmacro %}
{% macro postgres__sha256_hex(expr) -%}encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex'){%- endmacro %}
{% macro spark__sha256_hex(expr) -%}sha2({{ expr }}, 256){%- endmacro %}

{#- Replace every match of a regular expression (RE2 / POSIX subset: use [0-9], not \d). -#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'llm_analytics')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{#- A text field of a JSON document held as text; path given as a list of keys. Null when the
    document is not valid JSON. -#}
{% macro json_extract_text(expr, keys) -%}
    {{ return(adapter.dispatch('json_extract_text', 'llm_analytics')(expr, keys)) }}
{%- endmacro %}
{% macro default__json_extract_text(expr, keys) -%}
    json_extract_string({{ json_parse(expr) }}, '$.{{ keys | join(".") }}')
{%- endmacro %}
{% macro postgres__json_extract_text(expr, keys) -%}
    ({{ json_parse(expr) }} #>> '{ {{- keys | join(",") -}} }')
{%- endmacro %}
{% macro spark__json_extract_text(expr, keys) -%}
    get_json_object({{ expr }}, '$.{{ keys | join(".") }}')
{%- endmacro %}

{#- Division that yields null instead of an error (Postgres, Spark) or inf (DuckDB) on zero,
    and never integer division (Postgres truncates 7 / 2 to 3). -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0))
{%- endmacro %}

{#- Exact continuous percentile (linear interpolation), an aggregate. Cast to double first:
    DuckDB keeps a DECIMAL's scale otherwise. -#}
{% macro percentile_cont(expr, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'llm_analytics')(expr, fraction)) }}
{%- endmacro %}
{% macro default__percentile_cont(expr, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by cast({{ expr }} as {{ type_double() }}))
{%- endmacro %}

{#- Seconds between two timestamps, as a double (sub-second precision kept where the engine has it). -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'llm_analytics')(start_ts, end_ts)) }}
{%- endmacro %}
{% macro default__seconds_between(start_ts, end_ts) -%}
    cast(extract(epoch from ({{ end_ts }} - {{ start_ts }})) as {{ type_double() }})
{%- endmacro %}
{% macro duckdb__seconds_between(start_ts, end_ts) -%}
    cast(epoch({{ end_ts }}) - epoch({{ start_ts }}) as {{ type_double() }})
{%- endmacro %}
{% macro spark__seconds_between(start_ts, end_ts) -%}
    cast(unix_millis({{ end_ts }}) - unix_millis({{ start_ts }}) as double) / 1000
{%- endmacro %}

{#- A one-column relation `(series_ts)` of timestamps from start to end inclusive, every step
    (an interval literal such as '1 hour'), for dense spines where empty periods must show as 0. -#}
{% macro timestamp_series(start_ts, end_ts, step) -%}
    {{ return(adapter.dispatch('timestamp_series', 'llm_analytics')(start_ts, end_ts, step)) }}
{%- endmacro %}
{% macro default__timestamp_series(start_ts, end_ts, step) -%}
    generate_series({{ start_ts }}, {{ end_ts }}, interval '{{ step }}') as series (series_ts)
{%- endmacro %}
{% macro spark__timestamp_series(start_ts, end_ts, step) -%}
    (select explode(sequence({{ start_ts }}, {{ end_ts }}, interval {{ step }})) as series_ts) as series
{%- endmacro %}

{#- ISO day of week: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_day_of_week(ts) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'llm_analytics')(ts)) }}
{%- endmacro %}
{% macro default__iso_day_of_week(ts) -%}cast(extract(isodow from {{ ts }}) as integer){%- endmacro %}
{% macro spark__iso_day_of_week(ts) -%}cast(((dayofweek({{ ts }}) + 5) % 7) + 1 as integer){%- endmacro %}

{#- Whole days from start_date to end_date (dates), an integer. -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'llm_analytics')(start_date, end_date)) }}
{%- endmacro %}
{% macro default__days_between(start_date, end_date) -%}
    date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date))
{%- endmacro %}
{% macro postgres__days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}
{% macro spark__days_between(start_date, end_date) -%}
    datediff(cast({{ end_date }} as date), cast({{ start_date }} as date))
{%- endmacro %}

{#- `name as {{ not_materialized() }} (...)`: a CTE the engine should inline into each reference
    rather than compute once in full. Why: incremental models name the whole upstream table in a
    CTE and read it twice (once to find what was touched, once for the touched rows); DuckDB and
    PostgreSQL materialize a CTE read twice, so every run copied 10M wide rows. Engines without
    the hint inline anyway. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'llm_analytics')()) }}
{%- endmacro %}
{% macro default__not_materialized() -%}{%- endmacro %}
{% macro duckdb__not_materialized() -%}not materialized{%- endmacro %}
{% macro postgres__not_materialized() -%}not materialized{%- endmacro %}
