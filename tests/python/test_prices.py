"""The pricing seeds: coverage of genai-prices, alias export and history that never rewrites the past."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from llm_analytics.prices import PriceRow, from_package, merge_history, read_prices, update_seeds

ROOT = Path(__file__).resolve().parents[2]


def row(model: str, inp: str, start: str = "2000-01-01 00:00:00", end: str = "") -> PriceRow:
    return PriceRow("p", model, inp, "1", "", start, end)


def test_unchanged_price_keeps_rows() -> None:
    old = [row("m", "2")]
    assert merge_history(old, [row("m", "2.0")], dt.date(2026, 11, 1)) == old


def test_undated_price_change_closes_old_row_today() -> None:
    merged = merge_history([row("m", "2")], [row("m", "3")], dt.date(2026, 11, 1))
    assert merged == [
        row("m", "2", end="2026-11-01 00:00:00"),
        row("m", "3", start="2026-11-01 00:00:00"),
    ]


def test_dated_change_from_package_starts_at_its_date() -> None:
    pkg = [row("m", "2", end="2026-10-20 00:00:00"), row("m", "4", start="2026-10-20 00:00:00")]
    merged = merge_history([row("m", "2")], pkg, dt.date(2026, 11, 1))
    assert merged == [row("m", "2", end="2026-10-20 00:00:00"), row("m", "4", start="2026-10-20 00:00:00")]


def test_model_dropped_by_package_keeps_history_and_new_model_is_added() -> None:
    merged = merge_history([row("gone", "1")], [row("new", "5")], dt.date(2026, 11, 1))
    assert {r.model_id for r in merged} == {"gone", "new"}


def test_package_export_covers_every_token_priced_model() -> None:
    from genai_prices.data import providers

    build = from_package()
    all_models = sum(len(p.models) for p in providers)
    priced = {r.key for r in build.prices}
    assert len(priced) + build.skipped_models == all_models
    assert len(priced) > 2000
    aliases = {
        (a["provider"], a["pattern"]): a["model_id"] for a in build.aliases if a["match_type"] == "equals"
    }
    assert aliases[("openai", "gpt-4o-2024-08-06")] == "gpt-4o"
    # history: mistral-large-4 changed price on 2026-10-20 (three periods in genai-prices)
    periods = [r for r in build.prices if r.key == ("mistral", "mistral-large-4")]
    assert [p.effective_from[:10] for p in periods] == ["2000-01-01", "2026-10-20", "2026-10-29"]
    assert periods[0].effective_to == periods[1].effective_from


def test_committed_seed_is_what_the_command_writes(tmp_path: Path) -> None:
    """The shipped seed must be regenerable: running `prices` on it changes no row."""
    for name in ("model_prices.csv", "model_aliases.csv"):
        (tmp_path / name).write_bytes((ROOT / "seeds" / name).read_bytes())
    _, merged, changed = update_seeds(tmp_path, dt.date(2026, 11, 24))
    assert changed == 0
    assert merged == read_prices(ROOT / "seeds" / "model_prices.csv")
    assert (tmp_path / "model_aliases.csv").read_text() == (ROOT / "seeds" / "model_aliases.csv").read_text()
