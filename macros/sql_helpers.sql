{#- A list of values as a quoted SQL list for `in (...)`: ['a', 'b'] -> 'a', 'b'. -#}
{% macro quoted_list(values) -%}
    {%- for v in values -%}'{{ v | replace("'", "''") }}'{%- if not loop.last %}, {% endif -%}{%- endfor -%}
{%- endmacro %}
