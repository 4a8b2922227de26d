{#- A list of values as a quoted SQL list for `in (...)`: ['a', 'b'] -> 'a', 'b'. -#}
{% macro quoted_list(values) -%}
    {%- for v in values -%}'{{ v | replace("'", "''") }}'{%- if not loop.last %}, {% endif -%}{%- endfor -%}
{%- endmacro %}

{#- Incremental runs re-read everything received since the newest `column` already in this
    model, minus var lookback_days (late events). Use as: received_at >= {{ incremental_watermark() }} -#}
{% macro incremental_watermark(column='last_received_at') -%}
    (select {{ dbt.dateadd('day', -1 * var('lookback_days'), 'max(' ~ column ~ ')') }} from {{ this }})
{%- endmacro %}

{#- The first row of each key by `order_by` (rows with a null key are all kept), with its
    delivery_rank (always 1). -#}
{% macro deduplicate_first(relation, key, order_by) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ key }} order by {{ order_by }}) as delivery_rank
        from {{ relation }}
    ) as ranked
    where delivery_rank = 1 or {{ key }} is null
{%- endmacro %}
