{#- Clean schema names on every target: a model configured with +schema: staging lands in
    `staging`, not `<target schema>_staging`. Models without a custom schema use the target's. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
