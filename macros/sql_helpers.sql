{#- A list of values as a quoted SQL list for `in (...)`: ['a', 'b'] -> 'a', 'b'. -#}
{% macro quoted_list(values) -%}
    {%- for v in values -%}'{{ v | replace("'", "''") }}'{%- if not loop.last %}, {% endif -%}{%- endfor -%}
{%- endmacro %}

{#- The value of a one-value query, inlined as a `type` literal (`when_null` if it is null).
    Why a literal: the value is looked up before the model's query runs and inlined as a
    constant, so the engine can skip storage blocks by their min/max and read the other columns
    of the matching rows only. Compared with a scalar subquery, DuckDB read every column of every
    raw row (the staging of 10M calls took 18 s instead of 2). At parse time (no database) it is
    the scalar subquery itself. -#}
{% macro scalar_literal(query, type, when_null) -%}
    {%- if not execute -%}
        ({{ query }})
    {%- else -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
        cast('{{ value if value is not none else when_null }}' as {{ type }})
    {%- endif -%}
{%- endmacro %}

{#- Incremental runs re-read everything received since the newest `column` already in this
    model, minus var lookback_hours (for rows received out of order). Use as:
    received_at >= {{ incremental_watermark() }}. A literal (see scalar_literal). An empty model
    has no newest row: everything is re-read. -#}
{% macro incremental_watermark(column='last_received_at') -%}
    {%- set newest = dbt.dateadd('hour', -1 * var('lookback_hours'), 'max(' ~ column ~ ')') -%}
    {{- scalar_literal('select ' ~ newest ~ ' from ' ~ this, 'timestamp', '1900-01-01 00:00:00') -}}
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

{#- The raw rows an incremental staging run must (re)process: those received since the
    watermark that beat the copy of their event_id already staged (first received wins), or whose
    event_id is not staged yet, or is missing. The staged copy is the first received of all the
    copies seen so far, so comparing with it equals re-ranking every copy, without reading the
    old raw rows again. On a full build: every row. -#}
{% macro events_to_stage(relation, key='event_id') -%}
    {%- if is_incremental() -%}
    {%- set watermark = incremental_watermark('received_at') -%}
    select {{ relation }}.*
    from {{ relation }}
    left join (
        -- the staged copies of the new rows' ids only, so the join builds on thousands of rows
        -- rather than on every staged one
        select
            staging_row_id,
            received_at,
            occurred_at
        from {{ this }}
        where staging_row_id in (
            select new_rows.{{ key }} from {{ relation }} as new_rows
            where new_rows.received_at >= {{ watermark }}
        )
    ) as staged
        on {{ relation }}.{{ key }} = staged.staging_row_id
    where
        {{ relation }}.received_at >= {{ watermark }}
        and (
            staged.staging_row_id is null
            or {{ relation }}.received_at < staged.received_at
            or ({{ relation }}.received_at = staged.received_at and {{ relation }}.occurred_at < staged.occurred_at)
        )
    {%- else -%}
    select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- The rows of `relation` whose `grain` value (a day, an hour) has a row received (by column
    `received`) since this model's watermark: whole days or hours, never partial ones. On a full
    build: every row. -#}
{% macro touched_slice(relation, grain, received='received_at') -%}
    {%- if is_incremental() -%}
    select {{ relation }}.*
    from {{ relation }}
    where {{ relation }}.{{ grain }} in (
        select touched.{{ grain }}
        from {{ relation }} as touched
        where touched.{{ received }} >= {{ incremental_watermark() }}
    )
    {%- else -%}
    select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- The calls of `calls` (a relation with request_id and `grain`) in every `grain` value (a day,
    a week) that has a call received, or given feedback, since this model's watermark (by
    fct_llm_request_feedback.last_received_at, in `feedback`): whole days or weeks, never partial
    ones. On a full build: every call. -#}
{% macro calls_in_touched(calls, feedback, grain) -%}
    {%- if is_incremental() -%}
    select {{ calls }}.*
    from {{ calls }}
    where {{ calls }}.{{ grain }} in (
        select touched_calls.{{ grain }}
        from {{ calls }} as touched_calls
        where touched_calls.request_id in (
            select touched_feedback.request_id
            from {{ feedback }} as touched_feedback
            where touched_feedback.last_received_at >= {{ incremental_watermark() }}
        )
    )
    {%- else -%}
    select * from {{ calls }}
    {%- endif -%}
{%- endmacro %}

{#- The earliest `grain` value (a day) of the rows of `relation` received since this model's
    watermark, as a literal date (see scalar_literal): a model whose days depend on the days
    before them (first use, running totals) rebuilds every day from it on. Nothing received: a
    date after every row, so nothing is rebuilt. -#}
{% macro first_touched_date(relation, grain) -%}
    {{- scalar_literal(
        'select min(' ~ grain ~ ') from ' ~ relation ~ ' where received_at >= ' ~ incremental_watermark(),
        'date',
        '9999-12-31'
    ) -}}
{%- endmacro %}

{#- The distinct `keys` (a mapping of column name -> expression over `relation`'s rows, in
    order) of the rows matching `where`, each with first_received_at (received_at of its first
    row), that this model does not hold yet: the body of an append-only "pairs" model, the exact
    base of an all-time distinct count (which cannot be summed over days). An incremental run
    reads the rows received since the newest first_received_at minus the lookback (a key never
    goes away: calls are never removed). So the watermark moves only when a new key appears: on
    busy traffic every hour brings some, but where every key is already known (a few users who
    have filled every weekday x hour) a run re-reads the calls since the last new key. Still
    exact, and such traffic is small. -#}
{% macro first_seen_keys(relation, keys, where) -%}
with

matching as (

    select * from {{ relation }}
    where ({{ where }})
    {%- if is_incremental() %}
    and received_at >= {{ incremental_watermark('first_received_at') }}
    {%- endif %}

),

seen as (

    select
        {%- for name, expr in keys.items() %}
        {{ expr }} as {{ name }},
        {%- endfor %}
        min(received_at) as first_received_at
    from matching
    group by {% for name in keys %}{{ loop.index }}{% if not loop.last %}, {% endif %}{% endfor %}

)

select seen.*
from seen
{%- if is_incremental() %}
where not exists (
    select 1
    from {{ this }} as known
    where
        {%- for name in keys %}
        {% if not loop.first %}and {% endif %}known.{{ name }} = seen.{{ name }}
        {%- endfor %}
)
{%- endif %}
{%- endmacro %}
