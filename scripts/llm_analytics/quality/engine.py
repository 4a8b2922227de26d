"""Running suites with Great Expectations: one ephemeral context, pandas batches, and the data docs.

Files and DuckDB tables are validated in pandas batches of `chunk_rows` rows (GX has no working
DuckDB datasource), so memory stays bounded; the GX machinery every caller needs sits here once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..project import UserError
from .reports import CheckResult, TableReport, merge_gx, merge_results
from .rules import Rules
from .suites import Check

if TYPE_CHECKING:
    import pandas as pd


@cache
def context() -> Any:
    """One ephemeral GX context per process: nothing is written into the repository."""
    import logging

    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


@cache
def frame_batch_definition() -> Any:
    """One pandas asset for every batch: GX validates whichever frame is passed at run time."""
    asset = context().data_sources.add_pandas("frames").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole")


def add_suite(name: str, checks: list[Check]) -> Any:
    """Register the checks as suite NAME, replacing one of that name (a table validated again)."""
    import great_expectations as gx

    ctx = context()
    with contextlib.suppress(Exception):  # not there yet
        ctx.suites.delete(name)
    return ctx.suites.add(gx.ExpectationSuite(name=name, expectations=[c.expectation for c in checks]))


def result_format(settings: Rules) -> dict[str, Any]:
    """Counts plus a few offending values: enough for a report, bounded whatever the table's size."""
    return {"result_format": "SUMMARY", "partial_unexpected_count": settings.sample_rows}


def by_check(gx_result: Any, source: str) -> dict[str, Any]:
    """GX's results keyed by check name; an expectation that could not run is a user error, not a pass."""
    out = {}
    for res in gx_result.results:
        info = res.exception_info or {}
        if info.get("raised_exception"):
            raise UserError(
                f"{source}: expectation {res.expectation_config.meta.get('check')} could not run: "
                f"{info.get('exception_message')}"
            )
        out[res.expectation_config.meta["check"]] = res
    return out


def validate_frames(
    table: str, source: str, frames: Iterable[pd.DataFrame], checks: list[Check], settings: Rules
) -> TableReport:
    """Run a suite over pandas batches; the index of each batch is the 1-based row number."""
    report = TableReport(table, source, checks=[CheckResult(c.name, c.policy) for c in checks])
    if not checks:
        return report
    gx_suite = add_suite(f"{table} ({source})", checks)
    bd = frame_batch_definition()
    for frame in frames:
        report.rows += len(frame)
        report.batches += 1
        res = bd.get_batch(batch_parameters={"dataframe": frame}).validate(
            gx_suite, result_format=result_format(settings)
        )
        merge_results(report, by_check(res, source), checks, frame, settings.sample_rows)
        report.gx_result = merge_gx(report.gx_result, res)
    return report


def arrow_frames(reader: Any, schema_only: Any = None) -> Iterator[pd.DataFrame]:
    """pandas batches from an Arrow record batch reader, numbered by row; one empty batch if none."""
    import pandas as pd
    import pyarrow as pa

    types = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}
    offset = 0
    for batch in reader:
        if batch.num_rows == 0:
            continue
        frame = batch.to_pandas(types_mapper=types.get)
        frame.index = pd.RangeIndex(offset + 1, offset + 1 + len(frame))
        offset += len(frame)
        yield frame
    if offset == 0:
        yield reader.schema.empty_table().to_pandas(types_mapper=types.get)


def write_docs(reports: list[TableReport], out: Path) -> str | None:
    """GX's HTML data docs for every validated table, under OUT/data_docs (nowhere else)."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    ctx = context()
    site = "llm_analytics_docs"
    if site in (ctx.get_site_names() or []):
        ctx.delete_data_docs_site(site)
    ctx.add_data_docs_site(
        site,
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(out / "data_docs"),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    run_id = RunIdentifier(run_name="validate", run_time=dt.datetime.now(dt.UTC))
    for r in reports:
        if r.gx_result is None:
            continue
        suite_name = r.gx_result.suite_name
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=suite_name), run_id, r.table)
        ctx.validation_results_store.set(key, r.gx_result)
    urls = ctx.build_data_docs(site_names=[site])
    return urls.get(site)
