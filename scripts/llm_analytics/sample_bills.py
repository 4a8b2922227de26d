"""Provider bills for the sample data: what OpenAI and Anthropic charge for the generated calls.

The bills are computed from the generated calls at genai-prices' list price (seeds/model_prices.csv,
the model named by the longest price id its name starts with, the price valid at the call), one line
per UTC day x provider x model x kind of token, like the providers' cost exports. One model-day is
billed PLANTED_FACTOR times its cost, so mart_cost_reconciliation_daily has a discrepancy to find
(and docs and tests can say where). The bill follows list price: the negotiated-price example in
seeds/negotiated_prices.csv stays off (var negotiated_prices_enabled: false), and turning it on
shows the agreement as a gap against this bill.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from .project import project_dir

BILLED_PROVIDERS = ("openai", "anthropic")
# the planted discrepancy: provider, model as sent, day of the period (0 = first), factor
PLANTED = ("openai", "gpt-4o", 9, 1.10)
LINES = (  # line item, SQL of the tokens, SQL of the price per Mtok
    ("input", "prompt_tokens - coalesce(cached_tokens, 0)", "input_usd_per_mtok"),
    ("cached input", "coalesce(cached_tokens, 0)", "coalesce(cached_input_usd_per_mtok, input_usd_per_mtok)"),
    ("output", "completion_tokens", "output_usd_per_mtok"),
)
# dbt var max_tokens_per_call's default: above it a count is a fault (a poison row), not a billed call
MAX_BILLED_TOKENS = 100_000_000
COLUMNS = ["cost_date", "provider", "model_id", "line_item", "cost_usd"]
COLUMNS += ["input_tokens", "output_tokens", "source", "received_at"]


def provider_costs(
    requests_parquet: Path, start: dt.datetime, prices_csv: Path | None = None
) -> pd.DataFrame:
    """The bill lines (raw.provider_costs columns) for the calls in REQUESTS_PARQUET.

    A provider bills each call once (the first copy of an event_id) and only well-formed calls
    (known status, token counts present and not negative), as the warehouse keeps them, so that
    apart from the planted day the bill and the warehouse agree within rounding.
    """
    prices = prices_csv or project_dir() / "seeds" / "model_prices.csv"
    con = duckdb.connect(config={"threads": 1})  # a parallel sum's order, and last digit, vary by run
    try:
        con.execute(
            f"""create temp table calls as
            select * from (
                select  -- only what a bill needs, not the prompts and responses
                    event_id, received_at, occurred_at, provider, model_id, status, session_id,
                    prompt_tokens, completion_tokens, cached_tokens,
                    row_number() over (
                        partition by event_id order by received_at, occurred_at
                    ) as copy_no
                from read_parquet('{requests_parquet}')
            )
            where copy_no = 1 and provider in {BILLED_PROVIDERS} and status in ('success', 'error')
              and session_id is not null and prompt_tokens between 0 and {MAX_BILLED_TOKENS}
              and completion_tokens between 0 and {MAX_BILLED_TOKENS}
              and coalesce(cached_tokens, 0) between 0 and prompt_tokens"""
        )
        con.execute(f"create temp table prices as select * from read_csv('{prices}', header = true)")
        lines = " union all ".join(
            f"select '{item}' as line_item, {tokens} as tokens, {price} as price_per_mtok, "
            f"{'prompt_tokens' if item != 'output' else 'null'} as input_tokens, "
            f"{'completion_tokens' if item == 'output' else 'null'} as output_tokens, * from priced"
            for item, tokens, price in LINES
        )
        frame = con.execute(
            f"""with matched as (
                select calls.*, prices.input_usd_per_mtok, prices.cached_input_usd_per_mtok,
                       prices.output_usd_per_mtok,
                       row_number() over (
                           partition by calls.event_id order by length(prices.model_id) desc) as match_no
                from calls join prices
                  on calls.provider = prices.provider
                 and starts_with(calls.model_id, prices.model_id)
                 and calls.occurred_at >= prices.effective_from
                 and calls.occurred_at < coalesce(prices.effective_to, timestamp '9999-12-31')
            ),
            priced as (select * from matched where match_no = 1),
            lined as ({lines})
            select cast(cast(occurred_at as date) as timestamp) as cost_date, provider, model_id, line_item,
                   sum(tokens * price_per_mtok / 1e6) as cost_usd,
                   sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens
            from lined group by all order by all"""
        ).df()
    finally:
        con.close()
    return _as_bill(frame, start)


def _as_bill(frame: pd.DataFrame, start: dt.datetime) -> pd.DataFrame:
    """Lines as a provider's export has them, the planted model-day billed off by its factor."""
    provider, model, day, factor = PLANTED
    planted_date = (start + dt.timedelta(days=day)).date()
    # input and cached input are both input tokens: the cached line states the cached ones
    frame.loc[frame["line_item"] == "cached input", "input_tokens"] = None
    hit = (
        (frame["provider"] == provider)
        & (frame["model_id"] == model)
        & (frame["cost_date"].dt.date == planted_date)
    )
    frame.loc[hit, "cost_usd"] *= factor
    frame["cost_usd"] = frame["cost_usd"].round(6)
    frame["line_item"] = frame["model_id"] + ", " + frame["line_item"]
    frame["source"] = "sample_bills"
    frame["received_at"] = frame["cost_date"] + pd.Timedelta(days=1, hours=6)
    return frame[COLUMNS]
