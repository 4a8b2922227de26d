"""The dashboard as a person sees it: a real `llm-analytics dashboard` server on the DuckDB test
warehouse, each page opened in headless Chromium (Debian's `chromium` package driven by Playwright
through executable_path: browser downloads are unreachable), a screenshot saved, and the charts
checked to be there and drawn (plotly's svg traces exist; the screenshot is not one colour).

One server and one browser for all pages. Without Chromium the test is skipped locally and fails
under CI (LLM_ANALYTICS_REQUIRE_POSTGRES=1 is how CI says it is CI): .ci/run installs it."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import BIN, REQUIRE_POSTGRES, Warehouse

CHROMIUM = Path(os.environ.get("LLM_ANALYTICS_CHROMIUM", "/usr/bin/chromium"))
# page url path -> title; every page but Alerts draws charts on the fixture (it has no alert runs)
PAGES = {
    "": "Overview",
    "usage": "Usage",
    "performance": "Performance",
    "cost": "Cost",
    "quality": "Quality",
    "models": "Models",
    "product": "Product",
    "alerts": "Alerts",
}
# the script run has finished and the previous page's elements are gone
IDLE = (
    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    " && !document.querySelector('[data-stale=\"true\"]')"
)
TRACES = ".js-plotly-plot .scatterlayer .trace, .js-plotly-plot .barlayer .trace, .js-plotly-plot .hm"


def _need_browser() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "the playwright package is not installed (pip install -e '.[dev]')"
    else:
        if CHROMIUM.exists():
            return
        reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if REQUIRE_POSTGRES:
        pytest.fail(f"CI needs the browser test: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(built_duckdb: Warehouse, tmp_path: Path) -> Iterator[str]:
    """`llm-analytics dashboard` on the built fixture, until the test ends."""
    _need_browser()
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "llm-analytics"), "dashboard", "--target", "duckdb", "--port", str(port)],
        cwd=built_duckdb.home,
        env=built_duckdb.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the dashboard did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _colours(png: bytes) -> int:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        return len(img.convert("RGB").getcolors(maxcolors=1 << 20) or ())


def test_every_page_draws_its_charts_in_chromium(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("LLM_ANALYTICS_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server)  # one page load; then the sidebar, as a person clicks through
            for path, title in PAGES.items():
                if path:
                    page.locator('[data-testid="stSidebarNavLink"]', has_text=title).click()
                page.get_by_role("heading", name=title, exact=True).wait_for(timeout=60_000)
                page.wait_for_function(IDLE, timeout=60_000)
                if path == "alerts":
                    page.get_by_text("No alert run recorded").wait_for(timeout=60_000)
                else:
                    page.wait_for_selector(TRACES, timeout=60_000)
                    # every chart on the page has drawn (Streamlit adds them one by one)
                    page.wait_for_function(
                        "() => { const p = document.querySelectorAll('.js-plotly-plot');"
                        " return p.length > 0 && [...p].every(e => e.querySelector('.main-svg')); }",
                        timeout=60_000,
                    )
                    assert page.locator(TRACES).count() > 0, title
                assert page.locator('[data-testid="stException"]').count() == 0, title
                png = page.screenshot(path=str(shots / f"{path or 'overview'}.png"))
                assert _colours(png) > 20, f"{title}: the screenshot is (nearly) one colour"
        finally:
            browser.close()
