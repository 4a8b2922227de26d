"""Build the pricing seeds from the genai-prices package, keeping price history.

`seeds/model_prices.csv` holds one row per (provider, model, validity period);
`seeds/model_aliases.csv` holds the model-name patterns genai-prices matches (dated snapshots,
`-latest` names, ...) so dbt can resolve a request's model name to its priced model.
A price that changed since the last run closes the old row and opens a new one: past costs are
never rewritten.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

PRICE_COLUMNS = [
    "provider",
    "model_id",
    "input_usd_per_mtok",
    "output_usd_per_mtok",
    "cached_input_usd_per_mtok",
    "effective_from",
    "effective_to",
]
ALIAS_COLUMNS = ["provider", "match_type", "pattern", "model_id", "match_priority"]
EPOCH = "2000-01-01 00:00:00"


@dataclass(frozen=True)
class PriceRow:
    provider: str
    model_id: str
    input_usd_per_mtok: str
    output_usd_per_mtok: str
    cached_input_usd_per_mtok: str
    effective_from: str
    effective_to: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.provider, self.model_id)

    def same_prices(self, other: PriceRow) -> bool:
        def num(v: str) -> Decimal | None:
            return Decimal(v) if v else None

        return all(
            num(getattr(self, f)) == num(getattr(other, f))
            for f in ("input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok")
        )


@dataclass
class PriceBuild:
    prices: list[PriceRow]
    aliases: list[dict[str, Any]]
    skipped_patterns: int
    skipped_models: int


def _base(value: Any) -> str:
    """A price as text; tiered prices keep their base (first-tier) price."""
    if value is None:
        return ""
    base = getattr(value, "base", value)
    return format(Decimal(base).normalize(), "f")


def _row(provider: str, model: str, price: Any, start: str) -> PriceRow | None:
    inp, out = getattr(price, "input_mtok", None), getattr(price, "output_mtok", None)
    attrs = {k: v for k, v in vars(price).items() if v is not None and not k.startswith("_")}
    if inp is None and out is None and attrs:
        return None  # priced per request, image or audio only: not a token price
    return PriceRow(
        provider,
        model,
        _base(inp) or "0",
        _base(out) or "0",
        _base(getattr(price, "cache_read_mtok", None)),
        start,
    )


def _patterns(match: Any) -> tuple[list[tuple[str, str]], int]:
    """Flatten a genai-prices match clause into (match_type, pattern) pairs we can run in SQL."""
    kind = type(match).__name__
    simple = {
        "ClauseEquals": ("equals", "equals"),
        "ClauseStartsWith": ("starts_with", "starts_with"),
        "ClauseEndsWith": ("ends_with", "ends_with"),
        "ClauseContains": ("contains", "contains"),
    }
    if kind in simple:
        match_type, attr = simple[kind]
        return [(match_type, str(getattr(match, attr)).lower())], 0
    if kind == "ClauseOr":
        out: list[tuple[str, str]] = []
        skipped = 0
        for clause in match.or_:
            found, s = _patterns(clause)
            out += found
            skipped += s
        return out, skipped
    return [], 1  # regex and 'and' clauses: not portable SQL, counted and reported


def from_package() -> PriceBuild:
    """Every token-priced model of every provider genai-prices knows, with its dated price history."""
    from genai_prices.data import providers

    prices: list[PriceRow] = []
    aliases: list[dict[str, Any]] = []
    skipped_patterns = skipped_models = 0
    for provider in providers:
        for order, model in enumerate(provider.models):
            periods: list[tuple[str, Any]] = []
            if isinstance(model.prices, list):
                for cond in model.prices:
                    constraint = cond.constraint
                    if constraint is None:
                        periods.append((EPOCH, cond.prices))
                    elif type(constraint).__name__ == "StartDateConstraint":
                        periods.append((f"{constraint.start_date.isoformat()} 00:00:00", cond.prices))
                    # time-of-day discounts are not modelled: the base price applies
            else:
                periods.append((EPOCH, model.prices))
            periods.sort(key=lambda p: p[0])
            rows = [r for start, price in periods if (r := _row(provider.id, model.id, price, start))]
            if not rows:
                skipped_models += 1
                continue
            rows = [replace(r, effective_to=nxt.effective_from) for r, nxt in itertools.pairwise(rows)] + [
                rows[-1]
            ]
            prices += rows
            patterns, skipped = _patterns(model.match)
            skipped_patterns += skipped
            for match_type, pattern in dict.fromkeys([("equals", model.id.lower()), *patterns]):
                aliases.append(
                    {
                        "provider": provider.id,
                        "match_type": match_type,
                        "pattern": pattern,
                        "model_id": model.id,
                        "match_priority": order,
                    }
                )
    return PriceBuild(prices, aliases, skipped_patterns, skipped_models)


def merge_history(existing: list[PriceRow], package: list[PriceRow], today: dt.date) -> list[PriceRow]:
    """Keep every existing row; where the current price differs, close it and open the new one.

    A dated change from the package starts at its own date; an undated one starts today, so
    costs already computed for earlier days keep the price they were computed with.
    """
    by_key_old: dict[tuple[str, str], list[PriceRow]] = {}
    for r in existing:
        by_key_old.setdefault(r.key, []).append(r)
    by_key_new: dict[tuple[str, str], list[PriceRow]] = {}
    for r in package:
        by_key_new.setdefault(r.key, []).append(r)
    out: list[PriceRow] = []
    today_ts = f"{today.isoformat()} 00:00:00"
    for key in sorted(set(by_key_old) | set(by_key_new)):
        old = sorted(by_key_old.get(key, []), key=lambda r: r.effective_from)
        new = sorted(by_key_new.get(key, []), key=lambda r: r.effective_from)
        if not old:
            out += new
            continue
        if not new:
            out += old  # the package dropped the model: its history stays
            continue
        current = old[-1]
        if current.effective_to:
            out += old  # closed by the user by hand: leave it
            continue
        # dated package periods that start after our current row are appended in order
        later = [r for r in new if r.effective_from > current.effective_from]
        if later:
            out += old[:-1]
            out.append(replace(current, effective_to=later[0].effective_from))
            out += later
        elif current.same_prices(new[-1]):
            out += old
        else:
            out += old[:-1]
            out.append(replace(current, effective_to=today_ts))
            out.append(replace(new[-1], effective_from=today_ts, effective_to=""))
    return out


def read_prices(path: Path) -> list[PriceRow]:
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        return [PriceRow(**{k: (v or "") for k, v in row.items()}) for row in csv.DictReader(fh)]


def write_prices(path: Path, rows: list[PriceRow]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PRICE_COLUMNS)
        for r in rows:
            w.writerow([getattr(r, c) for c in PRICE_COLUMNS])


def write_aliases(path: Path, aliases: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=ALIAS_COLUMNS)
        w.writeheader()
        w.writerows(
            sorted(aliases, key=lambda a: (a["provider"], a["match_priority"], a["match_type"], a["pattern"]))
        )


def update_seeds(seeds_dir: Path, today: dt.date) -> tuple[PriceBuild, list[PriceRow], int]:
    """Regenerate both seeds; returns the build, the merged rows and how many rows changed."""
    build = from_package()
    prices_path = seeds_dir / "model_prices.csv"
    existing = read_prices(prices_path)
    merged = merge_history(existing, build.prices, today)
    changed = len(set(merged) ^ set(existing))
    write_prices(prices_path, merged)
    write_aliases(seeds_dir / "model_aliases.csv", build.aliases)
    return build, merged, changed
