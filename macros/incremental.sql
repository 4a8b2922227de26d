{#- The one way an incremental model says which rows a run must (re)process.

    Every incremental model rebuilds whole units of its grain (a call, a session, a day, an hour,
    a user-day) from all of their inputs, and picks the units to rebuild by what arrived since its
    watermark: the newest value of its watermark column (config meta.recent_column) minus var
    lookback_hours. Because a unit is always rebuilt from all of its inputs, a run writes exactly
    what a full refresh would for that unit, and units not touched are unchanged; that is the
    whole argument for "incremental equals a full refresh" (docs/incremental.md).

    The vocabulary:
    - incremental_watermark(): the cut-off, a literal timestamp.
    - touched(relation, key, received): the `key` values of rows received since the cut-off.
    - touched_via(relation, key, link, links): the `key` values of rows whose `link` was touched
      (the days of calls whose feedback arrived).
    - incremental_scope(relation, key, touched): the rows of the touched units (every row on a
      full build); without a key, the rows received since the cut-off.
    - incremental_scope_start(relation, grain, touched): the first touched unit, for models whose
      units depend on every earlier one (running totals, trailing windows).
    See macros/_macros.yml for the arguments. -#}

{#- The model's watermark column: config meta.recent_column (also what windowed tests read, see
    macros/test_scope.sql), last_received_at when unset. -#}
{% macro watermark_column() -%}
    {{- return(config.get('meta', {}).get('recent_column') or 'last_received_at') -}}
{%- endmacro %}

{#- Incremental runs re-read everything received since the newest `column` already in this
    model, minus var lookback_hours (for rows received out of order), as a literal (see
    scalar_literal). An empty model has no newest row, and a full build has no model: everything
    is read. -#}
{% macro incremental_watermark(column=none) -%}
    {%- if not is_incremental() -%}
        {{- return("cast('1900-01-01 00:00:00' as timestamp)") -}}
    {%- endif -%}
    {%- set column = column or watermark_column() -%}
    {%- set newest = dbt.dateadd('hour', -1 * var('lookback_hours'), 'max(' ~ column ~ ')') -%}
    {{- scalar_literal('select ' ~ newest ~ ' from ' ~ this, 'timestamp', '1900-01-01 00:00:00') -}}
{%- endmacro %}

{#- The `key` values (a column or a comma-separated list) of the rows of `relation` received (by
    column `received`) since this model's watermark. -#}
{% macro touched(relation, key, received='received_at') -%}
    select {{ key }} from {{ relation }} as touched_rows where {{ received }} >= {{ incremental_watermark() }}
{%- endmacro %}

{#- The `key` values of the rows of `relation` whose `link` is among `links` (a touched() query):
    a second hop, e.g. the days of the calls whose feedback was received since the watermark. -#}
{% macro touched_via(relation, key, link, links) -%}
    select via_rows.{{ key }} from {{ relation }} as via_rows where via_rows.{{ link }} in ({{ links }})
{%- endmacro %}

{#- The rows of `relation` a run must process. Full build: every row. Incremental, with a `key`
    (a column, or a list of columns for a composite unit) and `touched` (a touched() query, or a
    list of them, united): every row of the units touched, never part of one. Without a key: the
    rows received (by column `received`) since the watermark, for models whose unit is one input
    row. -#}
{% macro incremental_scope(relation, key=none, touched=none, received='received_at') -%}
    select * from {{ relation }}
    {%- if is_incremental() %}
        {%- set queries = [touched] if touched is string else touched %}
        {%- if key is none %}
    where {{ received }} >= {{ incremental_watermark() }}
        {%- elif key is string %}
    where {{ relation }}.{{ key }} in ({{ queries | join(' union ') }})
        {%- else %}
    where exists (
        select 1 from ({{ queries | join(' union ') }}) as touched_keys
        where
            {%- for k in key %}
            {% if not loop.first %}and {% endif %}{{ relation }}.{{ k }} = touched_keys.{{ k }}
            {%- endfor %}
    )
        {%- endif %}
    {%- endif %}
{%- endmacro %}

{#- The first `grain` value (a day, an hour) a run rebuilds from: the smallest touched one on an
    incremental run (null when nothing was touched), the smallest of `relation` on a full build
    (with literal=true, a date before every row).
    For models whose units depend on the units before them (first use, trailing windows). With
    literal=true, a literal of type `type` (see scalar_literal; nothing touched: a value after
    every row), so the engine can prune by it. -#}
{% macro incremental_scope_start(relation, grain, touched, literal=false, type='date') -%}
    {%- if literal and not is_incremental() -%}
        {#- a full build reads everything: no query at compile time, when the inputs may not exist yet -#}
        {{- return("cast('1900-01-01' as " ~ type ~ ")") -}}
    {%- endif -%}
    {%- if is_incremental() -%}
        {%- set query = 'select min(' ~ grain ~ ') from (' ~ touched ~ ') as touched_keys' -%}
    {%- else -%}
        {%- set query = 'select min(' ~ grain ~ ') from ' ~ relation ~ ' as scope_rows' -%}
    {%- endif -%}
    {%- if literal -%}
        {{- scalar_literal(query, type, '9999-12-31') -}}
    {%- else -%}
        ({{ query }})
    {%- endif -%}
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
