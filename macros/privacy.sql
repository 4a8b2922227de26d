{#- Redact personal data from free text, rule by rule in the order of pii_rules(): card-like
    numbers and IBANs before phone numbers (so their digits are not taken for one), addresses,
    then phones. Patterns are vars so a team can tighten them without editing SQL. -#}
{% macro redact_pii(expr) -%}
    {%- set redacted = namespace(sql=expr) -%}
    {%- for rule in pii_rules() -%}
        {%- set redacted.sql = regexp_replace_all(redacted.sql, var(rule.var), rule.placeholder) -%}
    {%- endfor -%}
    {{ redacted.sql }}
{%- endmacro %}

{#- The redaction rules, in order: the var holding each pattern and the placeholder it leaves. -#}
{% macro pii_rules() -%}
    {{ return([
        {'var': 'pii_iban_pattern', 'placeholder': '[iban]'},
        {'var': 'pii_card_pattern', 'placeholder': '[card]'},
        {'var': 'pii_email_pattern', 'placeholder': '[email]'},
        {'var': 'pii_ipv6_pattern', 'placeholder': '[ip]'},
        {'var': 'pii_ipv4_pattern', 'placeholder': '[ip]'},
        {'var': 'pii_ssn_pattern', 'placeholder': '[ssn]'},
        {'var': 'pii_phone_pattern', 'placeholder': '[phone]'},
    ]) }}
{%- endmacro %}

{#- Text normalised for grouping: redacted, lower-cased, whitespace collapsed. -#}
{% macro normalize_query(expr) -%}
    trim(lower({{ regexp_replace_all(redact_pii(expr), '[[:space:]]+', ' ') }}))
{%- endmacro %}

{#- Response text normalised for comparing generations: lower-cased, every run of whitespace one
    space, trimmed; empty text is null. Not redacted: only its hash leaves staging. -#}
{% macro normalize_response(expr) -%}
    nullif(trim(lower({{ regexp_replace_all(expr, '[[:space:]]+', ' ') }})), '')
{%- endmacro %}

{#- Redacted text as whole words for keyword matching: placeholders ([email], ...) removed so a
    keyword never matches inside one, every run of characters other than letters and digits one
    space, and a space at both ends, so ' word ' matches whole words only. -#}
{% macro text_words(expr) -%}
    {%- set stripped = namespace(sql=expr) -%}
    {%- for placeholder in pii_rules() | map(attribute='placeholder') | unique -%}
        {%- set stripped.sql = 'replace(' ~ stripped.sql ~ ", '" ~ placeholder ~ "', ' ')" -%}
    {%- endfor -%}
    {{ dbt.concat(["' '", regexp_replace_all(stripped.sql, '[^a-z0-9]+', ' '), "' '"]) }}
{%- endmacro %}

{#- True when a response says it found nothing or cannot answer (patterns from a var). -#}
{% macro is_zero_result(response_expr) -%}
    (
    {%- for phrase in var('zero_result_phrases') %}
        lower({{ response_expr }}) like '%{{ phrase | replace("'", "''") }}%'{% if not loop.last %} or{% endif %}
    {%- endfor %}
    )
{%- endmacro %}
