"""Quality gates with Great Expectations: suites generated from the raw contract plus quality.yml.

One job per module, each importing only the ones above it:
rules (quality.yml) -> suites (expectations per table) -> reports (results added up) ->
engine (running GX) -> file_checks (at the door, for the loader) and warehouse_checks
(`llm-analytics validate`). Callers import from here.
"""

from __future__ import annotations

import os

# before GX is first imported (by any module below): no telemetry, no progress bars in logs
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")

from .file_checks import QualityGate
from .reports import CheckResult, Summary, TableReport, warnings_of
from .rules import Rules, load_rules
from .suites import Check, build_checks
from .warehouse_checks import sqlalchemy_url, validate_warehouse

__all__ = [
    "Check",
    "CheckResult",
    "QualityGate",
    "Rules",
    "Summary",
    "TableReport",
    "build_checks",
    "load_rules",
    "sqlalchemy_url",
    "validate_warehouse",
    "warnings_of",
]
