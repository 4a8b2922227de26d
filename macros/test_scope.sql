{#- Overrides dbt's get_where_subquery, which wraps the model a generic test reads.

    Why: an hourly incremental build rewrites a few hours of a table, yet every unique, not_null
    and relationships test would scan the whole table again, and at tens of millions of rows the
    tests cost more than the models. With var test_recent_hours set (e.g. `dbt build --vars
    '{test_recent_hours: 24}'`), a generic test on a model whose config has
    `meta: {recent_column: <column>}` only reads the rows whose column is within that many hours
    of the column's newest value: the rows the recent runs wrote. Left unset (the default), and on
    any model without a recent_column, tests read everything, so a nightly `dbt build` still
    checks whole tables. A test's own `where` config is kept. -#}
{% macro get_where_subquery(relation) -%}
    {%- set filters = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do filters.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set column = recent_test_column() -%}
    {%- if column -%}
        {%- do filters.append(
            column ~ ' >= (select '
            ~ dbt.dateadd('hour', -1 * var('test_recent_hours'), 'max(' ~ column ~ ')')
            ~ ' from ' ~ relation ~ ')'
        ) -%}
    {%- endif -%}
    {%- if filters -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ filters | join(' and ') ~ ') as dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The recent_column of the model the current test is attached to, when var test_recent_hours is
    set; none otherwise. -#}
{% macro recent_test_column() -%}
    {%- if var('test_recent_hours', none) is none or not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set attached = model.get('attached_node') -%}
    {%- if not attached or attached not in graph.nodes -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return(graph.nodes[attached].config.get('meta', {}).get('recent_column')) -%}
{%- endmacro %}
