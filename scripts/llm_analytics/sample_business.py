"""Business events for the sample generator: subscription payments and survey answers.

They are product events (raw.product_events) with the contract's optional `amount_usd` and
`score`, named as the dbt vars' defaults name them (revenue_events, nps_survey_events,
csat_survey_events), so `make demo` fills the business marts. Each user pays their plan's price
every 30 days from signup while they are active, and stops when they churn (the generator's churn
clock), so revenue, churn and LTV have something to show; a share of the active users answer an
NPS and a CSAT survey once, paying plans a little happier. Drawn from its own random stream, so
the other tables are the same with or without these rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

PAYMENT_EVENT = "subscription_payment"
NPS_EVENT = "nps_response"
CSAT_EVENT = "csat_response"
PLAN_PRICE_USD = {"free": 0.0, "pro": 20.0, "enterprise": 100.0}
BILLING_DAYS = 30
NPS_SHARE = 0.35  # of the users active in the period
CSAT_SHARE = 0.4
# score weights 0..10 (NPS) and 1..5 (CSAT): free users a little less happy than paying ones
NPS_W = {
    "free": [1, 1, 1, 2, 2, 4, 6, 10, 12, 8, 6],
    "paid": [1, 1, 1, 1, 1, 2, 4, 8, 14, 12, 10],
}
CSAT_W = {"free": [1, 2, 4, 8, 5], "paid": [1, 1, 3, 8, 8]}


def events(
    rng: np.random.Generator, users: pd.DataFrame, start: dt.datetime, days: int, churn_s: np.ndarray
) -> pd.DataFrame:
    """The payments and survey answers of USERS within the DAYS from START, as product events."""
    t0 = np.datetime64(start, "s")
    t_end = t0 + np.timedelta64(days * 86400, "s")
    signup = users["signed_up_at"].to_numpy().astype("datetime64[s]")
    left = signup + churn_s.astype("timedelta64[s]")  # no activity (nor payment) after this
    first = np.maximum(signup, t0)
    last = np.minimum(left, t_end)
    rows: list[tuple[np.datetime64, str, str, float | None, float | None]] = []
    for i, plan in enumerate(users["plan"].to_numpy()):
        uid = str(users["user_id"].iat[i])
        price = PLAN_PRICE_USD.get(plan, 0.0)
        if price > 0:
            k_from = max(0, int(np.ceil((t0 - signup[i]) / np.timedelta64(BILLING_DAYS * 86400, "s"))))
            due = signup[i] + np.timedelta64(k_from * BILLING_DAYS * 86400, "s")
            while due < last[i]:
                rows.append((due, uid, PAYMENT_EVENT, price, None))
                due += np.timedelta64(BILLING_DAYS * 86400, "s")
        if last[i] <= first[i]:
            continue  # not active in the period: no survey reaches them
        kind = "free" if plan == "free" else "paid"
        span = int((last[i] - first[i]) / np.timedelta64(1, "s"))
        for event, share, weights, low in (
            (NPS_EVENT, NPS_SHARE, NPS_W[kind], 0),
            (CSAT_EVENT, CSAT_SHARE, CSAT_W[kind], 1),
        ):
            if rng.random() < share:
                at = first[i] + np.timedelta64(int(rng.integers(0, max(1, span))), "s")
                p = np.array(weights, float) / sum(weights)
                rows.append((at, uid, event, None, float(low + rng.choice(len(weights), p=p))))
    frame = pd.DataFrame(rows, columns=["occurred_at", "user_id", "event_name", "amount_usd", "score"])
    occurred = frame["occurred_at"].astype("datetime64[ms]")
    lag = pd.to_timedelta(rng.integers(1, 90, len(frame)), unit="s")
    return pd.DataFrame(
        {
            "event_id": [f"b_{i}" for i in range(len(frame))],
            "occurred_at": occurred,
            "received_at": occurred + lag,
            "user_id": frame["user_id"],
            "session_id": None,
            "event_name": frame["event_name"],
            "properties": None,
            "amount_usd": frame["amount_usd"].astype(float),
            "score": frame["score"].astype(float),
        }
    )
