{#- The one way an incremental model says which rows a run must (re)process.

    Every incremental model rebuilds whole units of its grain (a call, a session, a day, an hour,
    a user-day) from all of their inputs, and picks the units to rebuild by what was loaded after
    its watermark: the newest value of its watermark column (config meta.recent_column, a load
    time: loaded_at, last_loaded_at, first_loaded_at), minus var lookback_hours (0 by default).
    Load times are the loader's own (raw _loaded_at, one per load, increasing from load to load),
    never a sender's clock, so no row can arrive behind the watermark (docs/loading.md).

    Every model of one dbt invocation sees the same loads: the run's load horizon (the newest load
    committed when the invocation started, recorded by the on-run-start hook record_load_horizon)
    bounds what staging reads. So when a model holds a row of load N, it has seen every row of
    every load up to N, and a later run needs only the loads after N: the previous load is not
    read again. Because a unit is always rebuilt from all of its inputs, a run writes exactly what
    a full refresh would for that unit, and units not touched are unchanged; that is the whole
    argument for "incremental equals a full refresh" (docs/incremental.md).

    The vocabulary:
    - incremental_watermark(): the cut-off, a literal timestamp; rows loaded after it are new.
    - load_horizon(): the newest load time this run may read.
    - touched(relation, key, loaded): the `key` values of rows loaded since the cut-off.
    - touched_via(relation, key, link, links): the `key` values of rows whose `link` was touched
      (the days of calls whose feedback arrived).
    - incremental_scope(relation, key, touched): the rows of the touched units (every row on a
      full build); without a key, the rows loaded since the cut-off.
    - incremental_scope_start(relation, grain, touched): the first touched unit, for models whose
      units depend on every earlier one (running totals, trailing windows).
    See macros/_macros.yml for the arguments. -#}

{#- The model's watermark column: config meta.recent_column (also what windowed tests read, see
    macros/test_scope.sql), last_loaded_at when unset. -#}
{% macro watermark_column() -%}
    {{- return(config.get('meta', {}).get('recent_column') or 'last_loaded_at') -}}
{%- endmacro %}

{#- Incremental runs read what was loaded after the newest `column` already in this model,
    minus var lookback_hours (a margin for a run that selects a model without its upstream ones;
    0 by default), as a literal (see scalar_literal). An empty model has no newest row, and a full
    build has no model: everything is read. -#}
{% macro incremental_watermark(column=none) -%}
    {%- if not is_incremental() -%}
        {{- return("cast('1900-01-01 00:00:00' as timestamp)") -}}
    {%- endif -%}
    {%- set column = column or watermark_column() -%}
    {%- set newest = dbt.dateadd('hour', -1 * var('lookback_hours'), 'max(' ~ column ~ ')') -%}
    {{- scalar_literal('select ' ~ newest ~ ' from ' ~ this, 'timestamp', '1900-01-01 00:00:00') -}}
{%- endmacro %}

{#- The `key` values (a column or a comma-separated list) of the rows of `relation` loaded (by
    column `loaded`) since this model's watermark. A row loaded before load times existed has a
    null one: old, never touched. -#}
{% macro touched(relation, key, loaded='loaded_at') -%}
    select {{ key }} from {{ relation }} as touched_rows where {{ loaded }} > {{ incremental_watermark() }}
{%- endmacro %}

{#- The `key` values of the rows of `relation` whose `link` is among `links` (a touched() query):
    a second hop, e.g. the days of the calls whose feedback was loaded since the watermark. -#}
{% macro touched_via(relation, key, link, links) -%}
    select via_rows.{{ key }} from {{ relation }} as via_rows where via_rows.{{ link }} in ({{ links }})
{%- endmacro %}

{#- The rows of `relation` a run must process. Full build: every row. Incremental, with a `key`
    (a column, or a list of columns for a composite unit) and `touched` (a touched() query, or a
    list of them, united): every row of the units touched, never part of one. Without a key: the
    rows loaded (by column `loaded`) since the watermark, for models whose unit is one input
    row. -#}
{% macro incremental_scope(relation, key=none, touched=none, loaded='loaded_at') -%}
    select * from {{ relation }}
    {%- if is_incremental() %}
        {%- set queries = [touched] if touched is string else touched %}
        {%- if key is none %}
    where {{ loaded }} > {{ incremental_watermark() }}
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

{#- The raw rows an incremental staging run must (re)process: those loaded (raw _loaded_at, the
    loader's stamp) after the watermark, up to the run's load horizon, that beat the copy of their event_id already staged
    (first received wins, by clamped_received_at), or whose event_id is not staged yet, or is
    missing. The staged copy is the first received of all the copies seen so far, so comparing
    with it equals re-ranking every copy, without reading the old raw rows again. Raw rows loaded
    before stamps existed (null _loaded_at) are old: staged by an earlier build. On a full build:
    every row up to the load horizon. -#}
{% macro events_to_stage(relation, key='event_id') -%}
    {%- if is_incremental() -%}
    {%- set window = load_window(relation) -%}
    {%- set received = clamped_received_at(relation) -%}
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
            select {{ relation }}.{{ key }} from {{ relation }}
            where {{ window }}
        )
    ) as staged
        on {{ relation }}.{{ key }} = staged.staging_row_id
    where
        {{ window }}
        and (
            staged.staging_row_id is null
            or {{ received }} < staged.received_at
            or ({{ received }} = staged.received_at and {{ relation }}.occurred_at < staged.occurred_at)
        )
    {%- else -%}
    select * from {{ relation }}
    where {{ load_window(relation) }}
    {%- endif -%}
{%- endmacro %}

{#- The rows a staging run of events writes: events_to_stage's rows, each with its
    clamped_received_at and staging_row_id (event_id, or a hash of `content_columns` for a row
    without one), and of the copies of one event only the first received (by clamped_received_at,
    then occurred_at, then `tie_breakers`). -#}
{% macro first_received_events(relation, content_columns, tie_breakers=[]) -%}
    {%- set keyed -%}
    (
        select
            scoped.*,
            {{ clamped_received_at('scoped') }} as clamped_received_at,
            {{ staging_row_id('scoped.event_id', content_columns) }} as staging_row_id
        from ({{ events_to_stage(relation) }}) as scoped
    ) as keyed
    {%- endset -%}
    {{ deduplicate_first(keyed, 'staging_row_id', (['clamped_received_at', 'occurred_at'] + tie_breakers) | join(', ')) }}
{%- endmacro %}

{#- A raw row's received_at (the sender's clock), or its load time when that is earlier: an event
    cannot reach the pipeline after the load that brought it, so a received_at in the future is a
    sender's clock ahead of ours, clamped rather than trusted (docs/loading.md). Rows loaded before
    stamps existed keep theirs. -#}
{% macro clamped_received_at(relation) -%}
    case
        when {{ relation }}._loaded_at < {{ relation }}.received_at then {{ relation }}._loaded_at
        else {{ relation }}.received_at
    end
{%- endmacro %}

{#- The distinct `keys` (a mapping of column name -> expression over `relation`'s rows, in
    order) of the rows matching `where`, each with first_loaded_at (loaded_at of its first
    row), that this model does not hold yet: the body of an append-only "pairs" model, the exact
    base of an all-time distinct count (which cannot be summed over days). `values` (name ->
    aggregate expression) adds columns that the keys determine (a query's text, by its hash). An incremental run
    reads the rows loaded since the newest first_loaded_at minus the lookback (a key never
    goes away: calls are never removed). So the watermark moves only when a new key appears: on
    busy traffic every hour brings some, but where every key is already known (a few users who
    have filled every weekday x hour) a run re-reads the calls since the last new key. Still
    exact, and such traffic is small. -#}
{% macro first_seen_keys(relation, keys, where, values={}) -%}
with

matching as (

    select * from {{ relation }}
    where ({{ where }})
    {%- if is_incremental() %}
    and loaded_at > {{ incremental_watermark('first_loaded_at') }}
    {%- endif %}

),

seen as (

    select
        {%- for name, expr in keys.items() %}
        {{ expr }} as {{ name }},
        {%- endfor %}
        {%- for name, expr in values.items() %}
        {{ expr }} as {{ name }},
        {%- endfor %}
        min(loaded_at) as first_loaded_at
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

{#- The newest call time in the warehouse: how far the data reaches. A day, week or month is
    complete when the data reaches its end; the last one is usually not (a demo's last day holds
    a few calls and reads as a collapse). -#}
{% macro data_horizon() -%}
    (select max(occurred_at) from {{ ref('fct_llm_requests') }})
{%- endmacro %}

{#- True when the data reaches the end of the period starting at `period_start` (a date or
    timestamp; `period` is day, week or month), false otherwise, never null. -#}
{% macro is_complete_period(period_start, period) -%}
    coalesce({{ dbt.dateadd(period, 1, period_start) }} <= {{ data_horizon() }}, false)
{%- endmacro %}

{#- The periods (values of `column`) this model holds as incomplete, and its last one, for
    touched lists: a run rebuilds them, so a period is marked complete once the data reaches its
    end even when no input of that period arrives, and a model with a row per period (a series)
    fills the periods between its last one and newly loaded ones. -#}
{% macro incomplete_periods(column) -%}
    select {{ column }} from {{ this }} as incomplete_rows where not is_complete_period
    union
    select max({{ column }}) from {{ this }} as last_row
{%- endmacro %}

{#- The schema of the build's own state (the load horizons, PostgreSQL's helper functions):
    beside the models' schemas, read by no model or BI tool. -#}
{% macro build_state_schema() -%}
    {{- return(generate_schema_name('build_state', none)) -}}
{%- endmacro %}

{#- Where the on-run-start hook keeps each invocation's load horizon (target.get: a Spark profile
    has no database). -#}
{% macro load_horizons_relation() -%}
    {{- return(api.Relation.create(
        database=target.get('database'),
        schema=build_state_schema(),
        identifier='load_horizons'
    )) -}}
{%- endmacro %}

{#- The on-run-start hook (dbt_project.yml): records the newest load committed in the loader's
    manifest (raw.load_manifest) when this invocation starts, so every model of the run reads the
    same loads even when a load commits while the run is under way (see load_horizon). No load
    yet: the open-ended timestamp. Keeps a week of invocations. -#}
{% macro record_load_horizon() -%}
    {%- if execute -%}
        {%- set relation = load_horizons_relation() -%}
        {%- set manifest = adapter.get_relation(database=target.get('database'), schema='raw', identifier='load_manifest') -%}
        {%- set timestamp = dbt.type_timestamp() -%}
        {%- set open_ended = "cast('" ~ var('open_ended_timestamp') ~ "' as " ~ timestamp ~ ")" -%}
        {%- set now = 'cast(' ~ dbt.current_timestamp() ~ ' as ' ~ timestamp ~ ')' -%}
        {#- dbt listed the relations before the hook ran: tell its cache, so load_horizon finds it -#}
        {%- do adapter.cache_added(relation.incorporate(type='table')) -%}
        create schema if not exists {{ relation.schema }};
        create table if not exists {{ relation }} (
            invocation_id {{ dbt.type_string() }},
            loaded_at {{ timestamp }},
            recorded_at {{ timestamp }}
        );
        delete from {{ relation }} where recorded_at < {{ dbt.dateadd('day', -7, now) }};
        insert into {{ relation }} (invocation_id, loaded_at, recorded_at)
        select
            '{{ invocation_id }}',
            {%- if manifest is none %}
            {{ open_ended }},
            {%- else %}
            coalesce((select max(loaded_at) from {{ manifest }}), {{ open_ended }}),
            {%- endif %}
            {{ now }};
        -- dbt rolls the hook's connection back when the hooks are done: keep the horizon
        commit
    {%- endif -%}
{%- endmacro %}

{#- The newest load time this run may read, as a literal: the horizon the on-run-start hook
    recorded for this invocation. Loads committed after the run started wait for the next run. A
    command that runs no hook (compile, show), or a warehouse with no horizons yet, has no bound:
    the open-ended timestamp. -#}
{% macro load_horizon() -%}
    {%- set open_ended = var('open_ended_timestamp') -%}
    {%- set relation = load_horizons_relation() -%}
    {%- if not execute or adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {{- return("cast('" ~ open_ended ~ "' as timestamp)") -}}
    {%- endif -%}
    {%- set query = "select max(loaded_at) from " ~ relation ~ " where invocation_id = '" ~ invocation_id ~ "'" -%}
    {{- return(scalar_literal(query, 'timestamp', open_ended)) -}}
{%- endmacro %}

{#- Which raw rows of `relation` a staging run reads, as a condition on the loader's stamp: on an
    incremental run those loaded after the model's watermark (its column loaded_at), on a full
    build all of them (rows loaded before stamps existed have none: old, always read), and never
    a load after the run's load horizon. -#}
{% macro load_window(relation) -%}
    {%- if is_incremental() -%}
    {{ relation }}._loaded_at > {{ incremental_watermark('loaded_at') }}
    and {{ relation }}._loaded_at <= {{ load_horizon() }}
    {%- else -%}
    ({{ relation }}._loaded_at is null or {{ relation }}._loaded_at <= {{ load_horizon() }})
    {%- endif -%}
{%- endmacro %}

{#- The raw rows a staging model without event ids reads (see load_window). -#}
{% macro loaded_rows(relation) -%}
    select * from {{ relation }}
    where {{ load_window(relation) }}
{%- endmacro %}
