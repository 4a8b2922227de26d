{#- A list of values as a quoted SQL list for `in (...)`: ['a', 'b'] -> 'a', 'b'. -#}
{% macro quoted_list(values) -%}
    {%- for v in values -%}'{{ v | replace("'", "''") }}'{%- if not loop.last %}, {% endif -%}{%- endfor -%}
{%- endmacro %}

{#- Incremental runs re-read everything received since the newest `column` already in this
    model, minus var lookback_days (late events). Use as: received_at >= {{ incremental_watermark() }} -#}
{% macro incremental_watermark(column='last_received_at') -%}
    (select {{ dbt.dateadd('day', -1 * var('lookback_days'), 'max(' ~ column ~ ')') }} from {{ this }})
{%- endmacro %}
