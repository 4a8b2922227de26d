-- Reports (as a warning) calls to models genai-prices does not price: their cost_usd is null.
-- Fix by running `llm-analytics prices` after upgrading genai-prices, or by adding a row to
-- seeds/model_prices.csv for your own model.
{{ config(severity='warn') }}

select
    request_id,
    provider,
    model_id
from {{ ref('fct_llm_requests') }}
where not is_priced
