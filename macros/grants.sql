{#- Read-only access for BI tools (docs/bi.md).

    dbt's own `grants` config (dbt_project.yml, folder marts) gives the role named by var
    bi_reader_role SELECT on every mart, and nothing else: raw, staging, intermediate (where prompt
    text lives), seeds, build_state and the alerts state are never granted. Two things dbt's grants
    do not do are done here, by the on-run-start hook grant_bi_reader_access:
    - a grant to a role that does not exist fails the build, so the hook creates the role when it
      is missing (NOLOGIN: a group that login roles join; `llm-analytics grant --login` adds one),
      and a fresh machine builds without anyone creating it first;
    - a table is unreachable without USAGE on its schema, so the hook grants USAGE on marts.
    The roles are read from the grants dbt resolved for the marts (the graph), not from the var
    again: dbt renders dbt_project.yml's model configs before its vars block, so the two could
    disagree, and the grants are what the build will run.
    DuckDB has no roles: its grants config is empty and the hook does nothing. -#}

{#- The roles the project's models in schema marts are granted SELECT to (dbt's resolved `grants`
    config), sorted; each must be a plain lower-case identifier: dbt writes grantees unquoted in its
    grant statements and quoted in its revokes, so any other name would differ between the two. -#}
{% macro bi_reader_roles() -%}
    {%- set roles = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name
            and node.config.schema == 'marts' -%}
            {%- for role in (node.config.grants or {}).get('select', []) -%}
                {%- if role not in roles -%}
                    {%- do roles.append(role) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for role in roles -%}
        {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]{0,62}', role | string) -%}
            {{- exceptions.raise_compiler_error(
                "var bi_reader_role must be a lower-case identifier (letters, digits, _): got '" ~ role ~ "'"
            ) -}}
        {%- endif -%}
    {%- endfor -%}
    {%- if var.has_var('bi_reader_role') and (var('bi_reader_role') or none) not in (roles or [none]) -%}
        {{- exceptions.raise_compiler_error(
            "var bi_reader_role is '" ~ var('bi_reader_role') ~ "' but the marts are granted to "
            ~ (roles | join(', ') or 'no one') ~ ": dbt renders the marts' +grants before the vars block "
            ~ "of dbt_project.yml, so set the var with --vars or change its default in +grants (docs/bi.md)"
        ) -}}
    {%- endif -%}
    {{- return(roles | sort) -}}
{%- endmacro %}

{#- The on-run-start hook (dbt_project.yml): on PostgreSQL, each BI reader role exists (created
    NOLOGIN when missing) and may use the marts schema, before dbt grants it SELECT on each mart. -#}
{% macro grant_bi_reader_access() -%}
    {{ return(adapter.dispatch('grant_bi_reader_access', 'llm_analytics')()) }}
{%- endmacro %}

{%- macro default__grant_bi_reader_access() -%}select 1{%- endmacro %}

{#- Spark's grants belong to its catalog (Unity Catalog, Ranger), not to dbt's build: nothing. -#}
{%- macro spark__grant_bi_reader_access() -%}select 1{%- endmacro %}

{%- macro postgres__grant_bi_reader_access() -%}
    {%- set roles = bi_reader_roles() if execute else [] -%}
    {%- if roles -%}
    {%- set schema = generate_schema_name('marts', none) -%}
    {%- for role in roles %}
    do $grant_bi_reader$
    begin
        if not exists (select from pg_catalog.pg_roles where rolname = '{{ role }}') then
            create role {{ role }} nologin;
        end if;
    exception
        -- another build created it between the check and the create
        when duplicate_object or unique_violation then null;
        when insufficient_privilege then
            raise exception using
                message = 'role {{ role }} (var bi_reader_role) does not exist and '
                    || current_user || ' may not create roles',
                hint = 'create it once as a user with CREATEROLE: PGUSER=<that user> llm-analytics grant '
                    || '--target postgres --role {{ role }} --build-user ' || current_user
                    || '; or build with --vars ''{bi_reader_role: ""}'' to grant nothing (docs/bi.md)';
    end
    $grant_bi_reader$;
    {%- endfor %}
    create schema if not exists {{ schema }};
    grant usage on schema {{ schema }} to {{ roles | join(', ') }};
    commit
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
