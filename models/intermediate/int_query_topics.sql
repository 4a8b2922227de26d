{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        meta={'recent_column': 'first_loaded_at'}
    )
}}

-- One topic per distinct query (by query_hash): the first matching keyword of the
-- query_topics seed, by priority; 'other' when none matches. Computed once per distinct
-- query rather than once per request. Keywords match whole words of the redacted text, never
-- part of a word ('sql' is not in 'sqlalchemy') nor a redaction placeholder ('email' is not in
-- '[email]'); plural forms are rows of the seed.
-- Incremental, append-only: a query's topic is a function of its text (the hash is of the
-- text), so a run classifies only the queries not seen before (macro first_seen_keys). Real
-- traffic is mostly distinct prompts, and classifying every one at every build cost more than
-- the rest of an hourly run. A change to the query_topics seed reaches old queries with
-- `dbt build --full-refresh`.

with

queries as (

    {{ first_seen_keys(
        ref('int_llm_requests'),
        {'query_hash': 'query_hash'},
        'query_hash is not null and reject_reason is null',
        values={'query_text_redacted': 'min(query_text_redacted)'},
    ) | indent(4) }}

),

keywords as (

    select * from {{ ref('query_topics') }}

),

query_words as (

    select
        query_hash,
        {{ text_words('query_text_redacted') }} as words
    from queries

),

matches as (

    select
        query_words.query_hash,
        keywords.topic,
        row_number() over (
            partition by query_words.query_hash
            order by keywords.priority, keywords.keyword
        ) as match_rank
    from query_words
    inner join keywords
        on {{ dbt.position(dbt.concat(["' '", 'lower(keywords.keyword)', "' '"]), 'query_words.words') }} > 0

),

final as (

    select
        queries.query_hash,
        cast(coalesce(matches.topic, 'other') as {{ dbt.type_string() }}) as query_topic,
        queries.first_loaded_at
    from queries
    left join matches
        on queries.query_hash = matches.query_hash and matches.match_rank = 1

)

select * from final
