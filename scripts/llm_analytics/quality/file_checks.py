"""At the door: each file runs its raw table's suite before the loader touches the warehouse.

The rows are read as the loader will load them (cast to the contract), so what the gate passes is
exactly what lands in the raw tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..contract import RAW_SCHEMA
from ..raw_checks import reading
from ..raw_files import ContractError, LoadFile, cast_sql
from .engine import arrow_frames, validate_frames
from .reports import TableReport
from .rules import load_rules
from .suites import build_checks

if TYPE_CHECKING:
    import duckdb


class QualityGate:
    """Validates each file with its raw table's suite before the loader touches the warehouse."""

    def __init__(self, rules_path: Path | None = None) -> None:
        self.settings = load_rules(rules_path)

    def check_file(self, con: duckdb.DuckDBPyConnection, f: LoadFile) -> TableReport:
        """Stream the file's rows, cast to the contract, through the suite; raise if a refuse rule fails."""
        table = f.table
        checks = build_checks(
            f"{RAW_SCHEMA}.{table.name}",
            table.column_names,
            self.settings.raw.get(table.name, []),
            self.settings,
            contract=table,
        )
        cur = con.cursor()  # its own result, so the caller's connection stays free
        try:
            with reading(f):  # the first read of every page: a corrupt one is refused here
                reader = cur.sql(cast_sql(f)).to_arrow_reader(self.settings.chunk_rows)
                report = validate_frames(
                    f"{RAW_SCHEMA}.{table.name}", str(f.shown), arrow_frames(reader), checks, self.settings
                )
        finally:
            cur.close()
        refused = report.failed("refuse")
        if refused:
            lines = "\n  ".join(f"[refuse] {c.describe(report.rows)}" for c in refused)
            rules = self.settings.path.name
            raise ContractError(
                f"{f.shown} (raw.{table.name}): refused by quality rules ({rules}):\n  {lines}"
            )
        return report
