-- One topic per distinct query (by query_hash): the first matching keyword of the
-- query_topics seed, by priority; 'other' when none matches. Computed once per distinct
-- query rather than once per request. Keywords match whole words of the redacted text, never
-- part of a word ('sql' is not in 'sqlalchemy') nor a redaction placeholder ('email' is not in
-- '[email]'); plural forms are rows of the seed.

with

requests as (

    select * from {{ ref('int_llm_requests') }}

),

keywords as (

    select * from {{ ref('query_topics') }}

),

queries as (

    select
        query_hash,
        min(query_text_redacted) as query_text_redacted
    from requests
    where query_hash is not null
    group by query_hash

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
        cast(coalesce(matches.topic, 'other') as {{ dbt.type_string() }}) as query_topic
    from queries
    left join matches
        on queries.query_hash = matches.query_hash and matches.match_rank = 1

)

select * from final
