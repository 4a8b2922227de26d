-- Invariant: nothing is lost between staging and the facts. Every deduplicated request (the
-- application's events and the calls found in telemetry) is either in fct_llm_requests or in
-- int_rejected_rows, exactly once.

with

staged as (

    select count(*) as n from {{ ref('int_llm_requests') }}

),

facts as (

    select count(*) as n from {{ ref('fct_llm_requests') }}

),

rejected as (

    select count(*) as n from {{ ref('int_rejected_rows') }}
    where source_table in ('llm_requests', 'otel_spans')

)

select
    staged.n as staged_rows,
    facts.n as fact_rows,
    rejected.n as rejected_rows
from staged
cross join facts
cross join rejected
where staged.n != facts.n + rejected.n
