{#- Redact personal data from free text: card-like numbers first (so their digits are not
    taken for a phone number), then emails, then phone numbers. Patterns are vars so a team
    can tighten them without editing SQL. -#}
{% macro redact_pii(expr) -%}
    {%- set card = var('pii_card_pattern') -%}
    {%- set email = var('pii_email_pattern') -%}
    {%- set phone = var('pii_phone_pattern') -%}
    {{ regexp_replace_all(regexp_replace_all(regexp_replace_all(expr, card, '[card]'), email, '[email]'), phone, '[phone]') }}
{%- endmacro %}

{#- Text normalised for grouping: redacted, lower-cased, whitespace collapsed. -#}
{% macro normalize_query(expr) -%}
    trim(lower({{ regexp_replace_all(redact_pii(expr), '[[:space:]]+', ' ') }}))
{%- endmacro %}

{#- True when a response says it found nothing or cannot answer (patterns from a var). -#}
{% macro is_zero_result(response_expr) -%}
    (
    {%- for phrase in var('zero_result_phrases') %}
        lower({{ response_expr }}) like '%{{ phrase | replace("'", "''") }}%'{% if not loop.last %} or{% endif %}
    {%- endfor %}
    )
{%- endmacro %}
