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

{#- The raw rows an incremental staging run must (re)process: every copy of each event_id
    received since the watermark (so the first received copy can still win), and the new rows
    without an event_id. On a full build: every row. -#}
{% macro events_to_stage(relation, key='event_id') -%}
    {%- if is_incremental() -%}
    select {{ relation }}.*
    from {{ relation }}
    inner join (
        select distinct {{ key }} as changed_key
        from {{ relation }}
        where received_at >= {{ incremental_watermark('received_at') }}
    ) as changed
        on {{ relation }}.{{ key }} = changed.changed_key
    union all
    select *
    from {{ relation }}
    where {{ key }} is null and received_at >= {{ incremental_watermark('received_at') }}
    {%- else -%}
    select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- The rows of `relation` whose `grain` value (a day, an hour) has a row received since this
    model's watermark: whole days or hours, never partial ones. On a full build: every row. -#}
{% macro touched_slice(relation, grain) -%}
    {%- if is_incremental() -%}
    select {{ relation }}.*
    from {{ relation }}
    inner join (
        select distinct {{ grain }} as touched_key
        from {{ relation }}
        where received_at >= {{ incremental_watermark() }}
    ) as touched
        on {{ relation }}.{{ grain }} = touched.touched_key
    {%- else -%}
    select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}
