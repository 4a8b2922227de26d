"""Reports: what a suite found in a file or table, added up over batches, and the summary written.

GX returns one result per batch; a report folds them into whole-table counts with the first few
offending rows, so what a person reads (the CLI, summary.json, the data docs) speaks of the table,
not of how it happened to be cut into batches.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .rules import Rules
from .suites import Check

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class CheckResult:
    """One check's outcome on a whole file or table, added up over its batches."""

    name: str
    policy: str
    success: bool = True
    element_count: int = 0
    unexpected_count: int = 0
    samples: list[str] = field(default_factory=list)

    def describe(self, rows: int) -> str:
        count = (
            f"{self.unexpected_count:,} of {self.element_count or rows:,} rows" if self.element_count else ""
        )
        text = self.name + (f": {count}" if count else "")
        if self.samples:
            text += "; e.g. " + "; ".join(self.samples)
        return text


@dataclass
class TableReport:
    """The outcome of one suite on one file or table."""

    table: str
    source: str
    rows: int = 0
    checks: list[CheckResult] = field(default_factory=list)
    gx_result: Any = None
    batches: int = 0  # pandas batches the rows were validated in (0: validated in the database)

    def failed(self, policy: str) -> list[CheckResult]:
        return [c for c in self.checks if not c.success and c.policy == policy]

    @property
    def refused(self) -> bool:
        return bool(self.failed("refuse"))

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "source": self.source,
            "rows": self.rows,
            "success": not self.refused,
            "warnings": len(self.failed("warn")),
            "batches": self.batches,
            "batch_spec": (self.gx_result.meta.get("batch_spec") if self.gx_result is not None else None),
            "checks": [c.__dict__ for c in self.checks],
        }


@dataclass
class Summary:
    target: str
    out: Path
    reports: list[TableReport]
    docs: str | None = None

    @property
    def refused(self) -> bool:
        return any(r.refused for r in self.reports)


# Text a sample may show: ids and short codes. Any other text may be a prompt, a response or a
# comment, and samples reach terminals and logs, so it is described by its length only.
SHOWN_TEXT_SUFFIXES = ("_id", "_type", "_version")
SHOWN_TEXT_COLUMNS = {
    "status",
    "provider",
    "user_source",
    "routing_strategy",
    "event_name",
    "plan",
    "country",
}
SHOWN_TEXT_LIMIT = 40


def _fmt(value: Any, column: str | None = None) -> str:
    if value is None or (not isinstance(value, str | list | dict) and value != value):  # NaN / NA
        return "null"
    if isinstance(value, dt.date | dt.datetime) or hasattr(value, "isoformat"):
        return str(value)
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, str | list | dict):
        text = value if isinstance(value, str) else str(value)
        shown = column is not None and (column.endswith(SHOWN_TEXT_SUFFIXES) or column in SHOWN_TEXT_COLUMNS)
        if not shown:
            return f"<text of {len(text):,} characters, not shown>"
        if len(text) > SHOWN_TEXT_LIMIT:
            return repr(text[:SHOWN_TEXT_LIMIT]) + f"... ({len(text):,} characters)"
    return repr(value)


def merge_results(
    report: TableReport, results: dict[str, Any], checks: list[Check], frame: pd.DataFrame | None, n: int
) -> None:
    """Add one batch's results to the report: counts add up, the first sample rows are kept."""
    for check, acc in zip(checks, report.checks, strict=True):
        res = results[check.name]
        r = res.result or {}
        acc.success = acc.success and bool(res.success)
        acc.element_count += int(r.get("element_count") or 0)
        acc.unexpected_count += int(r.get("unexpected_count") or 0)
        room = n - len(acc.samples)
        if res.success or room <= 0:
            continue
        if "observed_value" in r and "unexpected_count" not in r:
            acc.samples.append(f"observed {r['observed_value']}")
        elif frame is not None and r.get("partial_unexpected_index_list"):
            for idx in r["partial_unexpected_index_list"][:room]:
                cols = [c for c in check.key_columns if c in frame.columns]
                if isinstance(idx, dict):  # GX names the index columns itself
                    acc.samples.append(", ".join(f"{c}={_fmt(v, c)}" for c, v in idx.items()))
                    continue
                row = frame.loc[idx]
                text = ", ".join(f"{c}={_fmt(row[c], c)}" for c in cols)
                acc.samples.append(text if check.query is not None else f"row {idx}: {text}")
        elif r.get("partial_unexpected_list"):
            column = getattr(check.expectation, "column", None)
            values = r["partial_unexpected_list"][:room]
            acc.samples.append("values " + ", ".join(_fmt(v, column) for v in values))


def merge_gx(total: Any, part: Any) -> Any:
    """Fold one batch's GX result into the running one so data docs show whole-table counts."""
    if total is None:
        return part
    parts = {res.expectation_config.meta["check"]: res for res in part.results}
    for res in total.results:
        other = parts[res.expectation_config.meta["check"]]
        res.success = bool(res.success and other.success)
        for k in ("element_count", "unexpected_count", "missing_count"):
            if k in res.result and k in other.result:
                res.result[k] += other.result[k]
        if res.result.get("element_count"):
            res.result["unexpected_percent"] = (
                100 * res.result["unexpected_count"] / res.result["element_count"]
            )
    total.success = all(r.success for r in total.results)
    ok = sum(1 for r in total.results if r.success)
    total.statistics.update(
        successful_expectations=ok,
        unsuccessful_expectations=len(total.results) - ok,
        success_percent=100 * ok / max(len(total.results), 1),
    )
    return total


def warnings_of(report: TableReport) -> list[str]:
    """The warn-level findings as lines to print: they are shown, and do not stop a load."""
    return [c.describe(report.rows) for c in report.failed("warn")]


def write_summary(summary: Summary, settings: Rules) -> None:
    """OUT/summary.json: every table's outcome, for machines (CI, dashboards) rather than people."""
    doc = {
        "target": summary.target,
        "validated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rules": str(settings.path),
        "success": not summary.refused,
        "tables": [r.to_json() for r in summary.reports],
        "data_docs": summary.docs,
    }
    (summary.out / "summary.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
