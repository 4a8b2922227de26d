"""Provider bills in (issue 17 §7): OpenAI's organisation costs and Anthropic's cost report load into
raw.provider_costs through their mapping files, as flattened by the jq line each mapping documents.
No dbt build: what staging and the reconciliation mart make of the rows is unit-tested in dbt."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from llm_analytics.contract import raw_tables

from .conftest import ROOT, Warehouse

MAPPINGS = ROOT / "mappings"
OPENAI_MAPPING = MAPPINGS / "openai_costs.yml"
OPENAI_EXAMPLE = MAPPINGS / "openai_costs.example.jsonl"
ANTHROPIC_MAPPING = MAPPINGS / "anthropic_cost_report.yml"
ANTHROPIC_EXAMPLE = MAPPINGS / "anthropic_cost_report.example.jsonl"
COLUMNS = "cost_date, provider, model_id, line_item, cost_usd, source, received_at = _loaded_at"


def test_provider_costs_contract_key_columns_are_required() -> None:
    table = raw_tables()["provider_costs"]
    assert table.required_names == ["cost_date", "provider", "cost_usd"]
    assert [c.name for c in table.columns if c.when_absent] == ["received_at"]


def test_both_provider_exports_load(duckdb_wh: Warehouse) -> None:
    """One warehouse for both (each load is a CLI start): OpenAI's export, then Anthropic's."""
    duckdb_wh.cli("load", "--mapping", str(OPENAI_MAPPING), str(OPENAI_EXAMPLE))
    duckdb_wh.cli("load", "--mapping", str(ANTHROPIC_MAPPING), str(ANTHROPIC_EXAMPLE))
    got = duckdb_wh.query(
        f"select {COLUMNS} from raw.provider_costs order by provider desc, cost_date, line_item"
    )
    # OpenAI: start_time 1791158400 s = 20,731 days x 86,400 s: 2026-10-05 00:00 UTC; 1791244800 = the
    # next day; amounts in USD; the model stays null in raw (staging reads it from the line item).
    # Anthropic: amounts are USD cents as decimal strings: "123.45" = 1.2345 USD, "450" = 4.5, "20" = 0.2,
    # "12.5" = 0.125.
    day1, day2 = dt.datetime(2026, 10, 5), dt.datetime(2026, 10, 6)
    sonnet, report = "claude-sonnet-4-20250514", "anthropic_cost_report"
    assert got == [
        (day1, "openai", None, "gpt-4o-2024-08-06, cached input", 0.125, "openai_costs_api", True),
        (day1, "openai", None, "gpt-4o-2024-08-06, input", 1.25, "openai_costs_api", True),
        (day1, "openai", None, "gpt-4o-2024-08-06, output", 3.5, "openai_costs_api", True),
        (day1, "openai", None, "web search tool calls", 0.25, "openai_costs_api", True),
        (day2, "openai", None, "gpt-4o-mini-2024-07-18, input", 0.0375, "openai_costs_api", True),
        (day1, "anthropic", sonnet, "Claude Sonnet 4 Usage - Input Tokens", 1.2345, report, True),
        (day1, "anthropic", sonnet, "Claude Sonnet 4 Usage - Output Tokens", 4.5, report, True),
        (day1, "anthropic", None, "Web Search Usage", 0.2, report, True),
        (day2, "anthropic", "claude-3-5-haiku-20241022", "Claude Haiku 3.5 Usage - Input Tokens", 0.125,
         report, True),
    ]  # fmt: skip


def _documented_jq(mapping: Path) -> str:
    """The jq filter a mapping's header documents (the text between `jq -c '` and the closing `'`)."""
    header = " ".join(
        line.lstrip("# ").strip() for line in mapping.read_text().splitlines() if line.startswith("#")
    )
    match = re.search(r"jq -c '(.+?)'", header)
    assert match, f"{mapping.name} documents no jq line"
    return match.group(1)


API_PAGES = {
    # the APIs' own answers, nested as they come (one page each), for the example's first lines
    OPENAI_MAPPING: {
        "object": "page",
        "data": [
            {
                "object": "bucket",
                "start_time": 1791158400,
                "end_time": 1791244800,
                "results": [
                    {
                        "object": "organization.costs.result",
                        "amount": {"value": 1.25, "currency": "usd"},
                        "line_item": "gpt-4o-2024-08-06, input",
                        "project_id": "proj_abc",
                    }
                ],
            }
        ],
        "has_more": False,
        "next_page": None,
    },
    ANTHROPIC_MAPPING: {
        "data": [
            {
                "starting_at": "2026-10-05T00:00:00Z",
                "ending_at": "2026-10-06T00:00:00Z",
                "results": [
                    {
                        "amount": "123.45",
                        "currency": "USD",
                        "cost_type": "tokens",
                        "description": "Claude Sonnet 4 Usage - Input Tokens",
                        "model": "claude-sonnet-4-20250514",
                        "token_type": "uncached_input_tokens",
                        "context_window": "0-200k",
                        "service_tier": "standard",
                        "workspace_id": None,
                    }
                ],
            }
        ],
        "has_more": False,
        "next_page": None,
    },
}
EXAMPLES = {OPENAI_MAPPING: OPENAI_EXAMPLE, ANTHROPIC_MAPPING: ANTHROPIC_EXAMPLE}


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
@pytest.mark.parametrize("mapping", [OPENAI_MAPPING, ANTHROPIC_MAPPING], ids=["openai", "anthropic"])
def test_documented_jq_flattens_an_api_page_to_the_example(mapping: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.json"
    page.write_text(json.dumps(API_PAGES[mapping]))
    out = subprocess.run(
        ["jq", "-c", _documented_jq(mapping), str(page)], capture_output=True, text=True, check=True
    )
    flattened = [json.loads(line) for line in out.stdout.splitlines()]
    first = json.loads(EXAMPLES[mapping].read_text().splitlines()[0])
    assert len(flattened) == 1
    # every field the mapping reads comes out of the page as the example has it
    assert {k: v for k, v in flattened[0].items() if k in first} == {
        k: v for k, v in first.items() if k in flattened[0]
    }
    assert set(first) - {"ending_at"} <= set(flattened[0])
