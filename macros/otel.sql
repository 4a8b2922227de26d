{#- Reading OpenTelemetry attributes. The loader keeps attribute maps as JSON text
    ({"gen_ai.usage.input_tokens": 12, ...}: keys hold dots, so every lookup quotes the key);
    each engine parses a map once (json_parse) and then reads keys from the parsed value. -#}

{#- A JSON text parsed once, for json_key_text lookups; null when it is not valid JSON (one
    poisoned document must not stop a build). -#}
{% macro json_parse(expr) -%}
    {{ return(adapter.dispatch('json_parse', 'llm_analytics')(expr)) }}
{%- endmacro %}
{% macro default__json_parse(expr) -%}
    (case when json_valid({{ expr }}) then cast({{ expr }} as json) end)
{%- endmacro %}
{% macro postgres__json_parse(expr) -%}
    {{ build_state_schema() }}.try_jsonb({{ expr }})
{%- endmacro %}
{% macro spark__json_parse(expr) -%}{{ expr }}{%- endmacro %}

{#- The value at top-level key `key` of a parsed JSON object, as text (numbers and booleans in
    their JSON spelling, nested values as JSON text); null when absent. -#}
{% macro json_key_text(parsed, key) -%}
    {{ return(adapter.dispatch('json_key_text', 'llm_analytics')(parsed, key)) }}
{%- endmacro %}
{% macro default__json_key_text(parsed, key) -%}
    json_extract_string({{ parsed }}, '$."{{ key }}"')
{%- endmacro %}
{% macro postgres__json_key_text(parsed, key) -%}
    ({{ parsed }} ->> '{{ key }}')
{%- endmacro %}
{% macro spark__json_key_text(parsed, key) -%}
    get_json_object({{ parsed }}, '$[''{{ key }}'']')
{%- endmacro %}

{#- The first of `keys` (a list, in precedence order) present in the parsed map, as text. -#}
{% macro json_first_key_text(parsed, keys) -%}
    {%- if keys | length == 1 -%}
        {{ json_key_text(parsed, keys[0]) }}
    {%- else -%}
        coalesce({% for key in keys %}{{ json_key_text(parsed, key) }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- An aggregate over the span events (a parsed JSON array of {"name", "time_unix_nano",
    "attributes"}) whose name is among `names`: `what` is 'first_time' (the earliest
    time_unix_nano, bigint) or an attribute key (its smallest text value). -#}
{% macro span_events_value(parsed_events, names, what) -%}
    {{ return(adapter.dispatch('span_events_value', 'llm_analytics')(parsed_events, names, what)) }}
{%- endmacro %}
{% macro default__span_events_value(parsed_events, names, what) -%}
    (
        select
            {%- if what == 'first_time' %} min(try_cast(span_event ->> 'time_unix_nano' as bigint))
            {%- else %} min(json_extract_string(span_event -> 'attributes', '$."{{ what }}"'))
            {%- endif %}
        from (select unnest(cast({{ parsed_events }} as json[])) as span_event) as span_events
        where span_event ->> 'name' in ({{ quoted_list(names) }})
    )
{%- endmacro %}
{% macro postgres__span_events_value(parsed_events, names, what) -%}
    (
        select
            {%- if what == 'first_time' %} min({{ text_as_bigint("span_event ->> 'time_unix_nano'") }})
            {%- else %} min(span_event -> 'attributes' ->> '{{ what }}')
            {%- endif %}
        from jsonb_array_elements(
            case when jsonb_typeof({{ parsed_events }}) = 'array' then {{ parsed_events }} else '[]'::jsonb end
        ) as span_event
        where span_event ->> 'name' in ({{ quoted_list(names) }})
    )
{%- endmacro %}

{#- Text as a bigint, null when it is not an integer that fits (a poisoned attribute must never
    stop a build). -#}
{% macro text_as_bigint(expr) -%}
    {{ return(adapter.dispatch('text_as_bigint', 'llm_analytics')(expr)) }}
{%- endmacro %}
{% macro default__text_as_bigint(expr) -%}try_cast({{ expr }} as bigint){%- endmacro %}
{% macro postgres__text_as_bigint(expr) -%}
    (case
        when
            {{ expr }} ~ '^\s*-?[0-9]{1,19}\s*$'
            and cast({{ expr }} as numeric) between -9223372036854775808 and 9223372036854775807
            then cast({{ expr }} as bigint)
    end)
{%- endmacro %}

{#- Text as a double, null when it is not a number. -#}
{% macro text_as_double(expr) -%}
    {{ return(adapter.dispatch('text_as_double', 'llm_analytics')(expr)) }}
{%- endmacro %}
{% macro default__text_as_double(expr) -%}try_cast({{ expr }} as double){%- endmacro %}
{% macro postgres__text_as_double(expr) -%}
    (case
        when {{ expr }} ~ '^\s*-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]{1,3})?\s*$'
            then cast({{ expr }} as double precision)
    end)
{%- endmacro %}

{#- Text as a boolean: true / false in any case (JSON booleans, "True" from Python), else null. -#}
{% macro text_as_boolean(expr) -%}
    (case lower({{ expr }}) when 'true' then true when 'false' then false end)
{%- endmacro %}

{#- The on-run-start hook that creates the helper functions an engine lacks: on PostgreSQL,
    try_jsonb(text), a cast to jsonb that returns null instead of failing on malformed JSON
    (PostgreSQL 15 has no IS JSON). Other engines need none. -#}
{% macro create_helper_functions() -%}
    {{ return(adapter.dispatch('create_helper_functions', 'llm_analytics')()) }}
{%- endmacro %}
{% macro default__create_helper_functions() -%}select 1{%- endmacro %}
{% macro postgres__create_helper_functions() -%}
    create schema if not exists {{ build_state_schema() }};
    create or replace function {{ build_state_schema() }}.try_jsonb(document text) returns jsonb
    language plpgsql immutable as $$
    begin
        return document::jsonb;
    exception when others then
        return null;
    end
    $$;
    commit
{%- endmacro %}

{#- One row per element of a parsed JSON array (used in a select list; an absent or non-array
    value gives no rows): the span events of a span. -#}
{% macro json_array_elements(parsed) -%}
    {{ return(adapter.dispatch('json_array_elements', 'llm_analytics')(parsed)) }}
{%- endmacro %}
{% macro default__json_array_elements(parsed) -%}
    unnest(case when json_type({{ parsed }}) = 'ARRAY' then cast({{ parsed }} as json[]) end)
{%- endmacro %}
{% macro postgres__json_array_elements(parsed) -%}
    jsonb_array_elements(case when jsonb_typeof({{ parsed }}) = 'array' then {{ parsed }} else '[]'::jsonb end)
{%- endmacro %}
{% macro spark__json_array_elements(parsed) -%}
    explode(coalesce(from_json({{ parsed }}, 'array<string>'), array()))
{%- endmacro %}

{#- Nanoseconds since the Unix epoch (bigint) as a UTC timestamp, truncated to microseconds, as the
    loader writes started_at / logged_at; null stays null. -#}
{% macro unix_nano_to_timestamp(expr) -%}
    {{ return(adapter.dispatch('unix_nano_to_timestamp', 'llm_analytics')(expr)) }}
{%- endmacro %}
{% macro default__unix_nano_to_timestamp(expr) -%}
    make_timestamp(cast({{ expr }} // 1000 as bigint))
{%- endmacro %}
{% macro postgres__unix_nano_to_timestamp(expr) -%}
    (timestamp '1970-01-01 00:00:00' + ({{ expr }} / 1000) * interval '1 microsecond')
{%- endmacro %}
{% macro spark__unix_nano_to_timestamp(expr) -%}
    timestamp_micros(cast(floor({{ expr }} / 1000) as bigint))
{%- endmacro %}
