-- Reports (as a warning, never a failure) how many raw rows broke a rule and were kept out of
-- the facts. The rows themselves, with their reason, are in int_rejected_rows.
{{ config(severity='warn') }}

select * from {{ ref('int_rejected_rows') }}
