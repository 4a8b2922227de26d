"""Experiments beyond the generator's main A/B test, so that mart_experiment_results has each of
its outcomes to show on the demo data.

The main experiment (generate.make_experiments, assistant_prompt_v2) has real effects: its
treatment gets more thumbs up and converts better. The ones here change nothing in the calls, so
their metric differences are noise; they differ in how users were assigned:
- onboarding_tips: meant as a 50/50 split, but a deliberate bug drops one in ten of the 'baseline'
  assignments (45/55), a sample-ratio mismatch the chi-square check must flag. It has no variant
  named 'control', so the mart compares with its alphabetically first variant, 'baseline'.
- answer_style: three arms, an honest equal split: no mismatch (chi-square with 2 degrees of freedom).
They draw from their own random stream, so the rest of the generated data is unchanged by them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

# the share of onboarding_tips users put in 'baseline' (0.5 intended): the sample-ratio mismatch
SRM_BASELINE_SHARE = 0.45
STYLES = ("control", "concise", "detailed")


def more_experiments(seed: int, users: pd.DataFrame, start: dt.datetime) -> pd.DataFrame:
    """Assignment rows (the experiment_assignments columns) for onboarding_tips and answer_style."""
    rng = np.random.default_rng([seed, 17])
    n = len(users)
    # assigned when they sign up, or at the start of the period (as the main experiment)
    stamp = np.maximum(users["signed_up_at"].values, np.datetime64(start, "ms")).astype("datetime64[ms]")
    tips = pd.DataFrame(
        {
            "user_id": users["user_id"].values,
            "experiment_id": "onboarding_tips",
            "variant": np.where(rng.random(n) < SRM_BASELINE_SHARE, "baseline", "tips"),
            "assigned_at": stamp,
        }
    )
    style = pd.DataFrame(
        {
            "user_id": users["user_id"].values,
            "experiment_id": "answer_style",
            "variant": np.asarray(STYLES)[rng.integers(0, len(STYLES), n)],
            "assigned_at": stamp,
        }
    )
    return pd.concat([tips, style], ignore_index=True)
