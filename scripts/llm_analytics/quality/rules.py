"""quality.yml, read and checked: which row rules hold for which table, and what breaking one costs.

A mistake in the rules file is the user's to fix, so every check names the file, the table and the
rule; values may point at a dbt var (`values: var:known_statuses`) so dbt and the gates share one list.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..contract import raw_tables
from ..project import UserError, project_dir

RULES_FILE = "quality.yml"
POLICIES = ("refuse", "warn")
KINDS = (
    "not_null",
    "non_negative",
    "between",
    "in_set",
    "not_in_future",
    "column_pair_ordered",
    "percentiles_ordered",
    "daily_volume",
)


@dataclass(frozen=True)
class Rules:
    """quality.yml, checked: the policy and row rules per table."""

    path: Path
    default_policy: str
    chunk_rows: int
    sample_rows: int
    future_tolerance: dt.timedelta
    raw: dict[str, list[dict[str, Any]]]
    warehouse: dict[str, list[dict[str, Any]]]


def _dbt_vars() -> dict[str, Any]:
    doc = yaml.safe_load((project_dir() / "dbt_project.yml").read_text())
    return doc.get("vars") or {}


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise UserError(f"{path}: quality rules file not found")
    try:
        return yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from exc


def _check_rule(rule: Any, where: str, section: str, default: str, dbt_vars: dict[str, Any]) -> None:
    """Check one rule in place: fill in its policy, resolve `values: var:NAME` from dbt_project.yml."""
    if not isinstance(rule, dict) or rule.get("expect") not in KINDS:
        raise UserError(f"{where}: 'expect' must be one of {', '.join(KINDS)}")
    rule.setdefault("policy", default)
    if rule["policy"] not in POLICIES:
        raise UserError(f"{where}: policy must be one of {', '.join(POLICIES)}")
    if section == "raw" and rule["expect"] == "daily_volume":
        raise UserError(f"{where}: daily_volume needs a whole table; use it under warehouse")
    values = rule.get("values")
    if isinstance(values, str) and values.startswith("var:"):
        var = values[4:]
        if var not in dbt_vars:
            raise UserError(f"{where}: dbt_project.yml has no var {var!r}")
        rule["values"] = list(dbt_vars[var])


def load_rules(path: Path | None = None) -> Rules:
    """Read and check quality.yml (or PATH); a mistake names the file, the table and the rule."""
    path = path or Path(os.environ.get("LLM_ANALYTICS_QUALITY_FILE", project_dir() / RULES_FILE))
    doc = _read(path)
    default = doc.get("default_policy", "warn")
    if default not in POLICIES:
        raise UserError(f"{path}: default_policy must be one of {', '.join(POLICIES)}, not {default!r}")
    dbt_vars = _dbt_vars()
    contract = raw_tables()
    raw = doc.get("raw") or {}
    for name in raw:
        if name not in contract:
            raise UserError(f"{path}: raw.{name} is not a table of the raw contract")
    sections = {"raw": raw, "warehouse": doc.get("warehouse") or {}}
    for section, tables in sections.items():
        for name, rules in tables.items():
            if not isinstance(rules, list):
                raise UserError(f"{path}: {section}.{name} must be a list of rules")
            for i, rule in enumerate(rules, 1):
                _check_rule(rule, f"{path}: {section}.{name} rule {i}", section, default, dbt_vars)
    return Rules(
        path=path,
        default_policy=default,
        chunk_rows=int(doc.get("chunk_rows", 200_000)),
        sample_rows=int(doc.get("sample_rows", 5)),
        future_tolerance=dt.timedelta(minutes=float(doc.get("future_tolerance_minutes", 10))),
        raw=raw,
        warehouse=sections["warehouse"],
    )
