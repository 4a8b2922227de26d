"""Alerts end to end on a generated sample warehouse, on DuckDB and PostgreSQL.

The sample is built once per engine for the module. Which hours must fire comes from the generator's
own list of planted incidents (`generate.incidents`), not from the marts. Tests that write state use
their own rule names, so they do not see each other's alerts in the shared warehouse.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llm_analytics.generate import incidents

from .conftest import BIN, ROOT, Warehouse, _base_env, new_warehouse

START = dt.datetime(2026, 10, 1)
DAYS = 21
INCIDENTS = {i.kind: i for i in incidents(START, DAYS)}


# the generator's gpt-4o-mini v1 -> v2 change at mid-period fires these for 7 days after it
DRIFT_RULES = {"version_latency_drift", "version_regeneration_drift", "version_rating_drift"}


def undrifted(out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in out if a["rule"] not in DRIFT_RULES]


def _end(kind: str) -> str:
    """The incident's end: `--at` there evaluates exactly the incident's hour."""
    return INCIDENTS[kind].end


def _shift(at: str, hours: int) -> str:
    return (dt.datetime.fromisoformat(at) + dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("alerts-sample")
    env = _base_env(out)
    cmd = [str(BIN / "llm-analytics"), "generate", "--out", str(out / "raw"), "--requests", "100000"]
    cmd += ["--users", "2000", "--days", str(DAYS), "--start", START.strftime("%Y-%m-%d")]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    return out / "raw"


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def wh(
    request: pytest.FixtureRequest, sample_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    """The sample loaded and built, once per engine."""
    for w in new_warehouse(request.param, tmp_path_factory.mktemp(f"alerts-{request.param}")):
        w.cli("load", str(sample_dir), "--target", w.target)
        # only what alerts read, without tests: other marts' own checks are not this module's business
        marts = ("+mart_alert_metrics_hourly", "+fct_llm_sessions", "+fct_llm_requests")
        w.dbt("build", "--select", *marts, "--exclude-resource-type", "test")
        yield w


def alerts(wh: Warehouse, *args: str) -> subprocess.CompletedProcess[str]:
    return wh.cli("alerts", *args, "--target", wh.target, check=False)


def fired(wh: Warehouse, at: str, rules: Path | None = None) -> tuple[int, list[dict[str, Any]]]:
    """Backtest one hour without state: the exit code and the alerts as JSON objects."""
    extra = ["--rules", str(rules)] if rules else []
    proc = alerts(wh, "run", "--at", at, "--format", "json", "--dry-run", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def write_rules(path: Path, rules: list[dict[str, Any]], notifiers: dict[str, Any] | None = None) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"notifiers": notifiers or {}, "rules": rules}, sort_keys=False))
    return path


# --- incidents fire the right rules at the right hours, quiet hours fire nothing -----------------


def test_latency_spike(wh: Warehouse) -> None:
    code, out = fired(wh, _end("latency_spike"))
    assert code == 1
    assert {a["rule"] for a in undrifted(out)} == {
        "high_latency",
        "slow_first_token",
        "latency_doubling",
        "latency_doubling_overall",
    }
    a = next(a for a in out if a["rule"] == "high_latency")
    assert a["severity"] == "warning" and a["metric"] == "latency_p95_ms" and a["scope_key"] == "overall"
    assert a["value"] > a["threshold"] == 5000
    assert a["window_start"] == INCIDENTS["latency_spike"].start
    assert "latency p95" in a["message"] and "5,000 ms" in a["message"]
    t = next(a for a in out if a["rule"] == "slow_first_token")
    assert t["value"] > t["threshold"] == 1500


def test_error_burst(wh: Warehouse) -> None:
    code, out = fired(wh, _end("error_burst"))
    assert code == 1
    assert {a["rule"] for a in out} == {
        "error_rate",
        "error_rate_overall",
        "error_type_rise",
        "error_type_rise_overall",
    }
    per_model = [a for a in out if a["scope_type"] == "provider_model"]
    assert all(a["scope"]["provider"] == INCIDENTS["error_burst"].provider for a in per_model)
    rate = [a for a in out if a["rule"] == "error_rate"]
    assert rate and all(
        a["severity"] == "critical" and a["bound"] > 0.05 and a["p_value"] < 1e-4 for a in rate
    )


def test_cost_spike(wh: Warehouse) -> None:
    code, out = fired(wh, _end("cost_spike"))
    assert code == 1
    by_rule = {a["rule"]: a for a in undrifted(out)}
    assert set(by_rule) == {
        "cost_spike",
        "cost_spike_model",
        "token_spike",
        "token_spike_model",
        "session_cost",
        "user_budget",
        "request_spike",
        "request_spike_overall",
    }
    assert by_rule["cost_spike"]["value"] > 3 * by_rule["cost_spike"]["baseline_mean"]
    assert "same-hour mean" in by_rule["cost_spike"]["message"]
    assert by_rule["session_cost"]["scope"]["session"].endswith("runaway")
    assert by_rule["user_budget"]["scope"]["user"] == by_rule["session_cost"]["scope"]["user"]
    assert by_rule["request_spike"]["scope_key"] == "openai/gpt-4o"
    assert by_rule["request_spike"]["p_value"] < 1e-4


@pytest.mark.parametrize("at", ["2026-10-06 13:00:00", "2026-10-14 04:00:00", "2026-10-19 11:00:00"])
def test_quiet_hours_fire_nothing(wh: Warehouse, at: str) -> None:
    code, out = fired(wh, at)
    assert undrifted(out) == [] and code == (1 if out else 0)
    # the hour after an incident is quiet again (the runaway user's day still counts against its budget)
    for kind in ("latency_spike", "error_burst"):
        code, out = fired(wh, _shift(_end(kind), 1))
        assert undrifted(out) == [] and code == (1 if out else 0)


def test_version_drift(wh: Warehouse) -> None:
    """gpt-4o-mini's v2 (slower, more regenerations) against v1, from the change for 7 days."""
    _, out = fired(wh, "2026-10-14 04:00:00")
    drift = [a for a in out if a["rule"] in DRIFT_RULES]
    assert {a["rule"] for a in drift} == DRIFT_RULES
    assert {a["scope_key"] for a in drift} == {"openai/gpt-4o-mini@v2"}
    assert all(a["scope"]["previous_version"] == "v1" and a["p_value"] < 1e-4 for a in drift)
    for at in ("2026-10-06 13:00:00", "2026-10-19 11:00:00"):  # before the change, and a week after
        assert [a for a in fired(wh, at)[1] if a["rule"] in DRIFT_RULES] == []


# --- state: cooldown, resolve, idempotent reruns, concurrency ------------------------------------


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_cooldown_and_rerun(wh: Warehouse, tmp_path: Path) -> None:
    out = tmp_path / "notes.jsonl"
    rules = write_rules(
        tmp_path / "alerts.yml",
        [
            {
                "name": f"busy_{wh.target}",
                "metric": "request_count",
                "scope": "overall",
                "condition": "> 0",
                "severity": "info",
                "cooldown": "2h",
                "notify": ["file"],
            }
        ],
        {"file": {"type": "jsonl", "path": str(out)}},
    )
    base = "2026-10-06 10:00:00"
    for h in (0, 1, 1, 2, 3):
        proc = alerts(wh, "run", "--rules", str(rules), "--at", _shift(base, h))
        assert proc.returncode == 1, proc.stderr
    # notified at +0, held at +1 (and its rerun adds nothing), +2 is past the 2h cooldown, +3 held
    assert [n["window_end"] for n in lines(out)] == [base, _shift(base, 2)]
    hist = alerts(wh, "history", "--rule", f"busy_{wh.target}", "--format", "json")
    events = [json.loads(x) for x in hist.stdout.splitlines()]
    assert [(e["notified"], e["state"]) for e in reversed(events)] == [
        (True, "firing"),
        (False, "firing"),
        (True, "firing"),
        (False, "firing"),
    ]


def test_resolve_notifies_once(wh: Warehouse, tmp_path: Path) -> None:
    out = tmp_path / "notes.jsonl"
    rules = write_rules(
        tmp_path / "alerts.yml",
        [
            {
                "name": f"pricey_{wh.target}",
                "metric": "cost_usd",
                "scope": "overall",
                "condition": "> 10",
                "severity": "warning",
                "notify": ["file"],
            }
        ],
        {"file": {"type": "jsonl", "path": str(out)}},
    )
    end = _end("cost_spike")
    codes = [
        alerts(wh, "run", "--rules", str(rules), "--at", _shift(end, h)).returncode for h in (0, 1, 1, 2)
    ]
    assert codes == [1, 0, 0, 0]
    assert [(n["state"], n["window_end"]) for n in lines(out)] == [
        ("firing", end),
        ("resolved", _shift(end, 1)),
    ]
    listing = alerts(wh, "list", "--rules", str(rules))
    assert listing.returncode == 0 and f"pricey_{wh.target}" in listing.stdout and "ok" in listing.stdout


def test_concurrent_runs_notify_once(wh: Warehouse, tmp_path: Path) -> None:
    out = tmp_path / "notes.jsonl"
    rules = write_rules(
        tmp_path / "alerts.yml",
        [
            {
                "name": f"twice_{wh.target}",
                "metric": "latency_p95_ms",
                "scope": "overall",
                "condition": "> 5000",
                "severity": "warning",
                "notify": ["file"],
            }
        ],
        {"file": {"type": "jsonl", "path": str(out)}},
    )
    cmd = [str(BIN / "llm-analytics"), "alerts", "run", "--target", wh.target, "--rules", str(rules)]
    cmd += ["--at", _end("latency_spike")]
    procs = [
        subprocess.Popen(cmd, cwd=wh.home, env=wh.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else b"") for p in procs]
    assert [r[0] for r in results] == [1, 1, 1], results
    assert len(lines(out)) == 1
    n = wh.scalar(f"select count(*) from alerts.alert_events where rule_name = 'twice_{wh.target}'")
    assert n == 1


# --- webhook: retries, and a failed delivery is sent by the next run -----------------------------


class _Hook(http.server.BaseHTTPRequestHandler):
    fail = True
    received: list[dict[str, Any]] = []  # noqa: RUF012 - shared with the test on purpose

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        code = 500 if type(self).fail else 200
        if code == 200:
            type(self).received.append(body)
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, type[_Hook]]]:
    """A webhook on 127.0.0.1 that fails until told otherwise; stops with the test (or after 2 min)."""
    handler = type("Hook", (_Hook,), {"fail": True, "received": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    timer = threading.Timer(120, server.shutdown)
    timer.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        timer.cancel()
        server.shutdown()
        server.server_close()


def test_webhook_retry_next_run(wh: Warehouse, tmp_path: Path, hook: tuple[str, type[_Hook]]) -> None:
    url, handler = hook
    name = f"hooked_{wh.target}"
    rules = write_rules(
        tmp_path / "alerts.yml",
        [
            {
                "name": name,
                "metric": "error_rate",
                "scope": "provider_model",
                "condition": "> 0.25",
                "min_samples": 50,  # one anthropic model has that many calls in the burst: one post
                "severity": "critical",
                "notify": ["slack"],
            },
            {
                "name": f"also_{wh.target}",
                "metric": "error_rate",
                "scope": "overall",
                "condition": "> 0.1",
                "severity": "warning",
            },
        ],
        {
            "slack": {
                "type": "webhook",
                "url": url,
                "timeout_seconds": 2,
                "retries": 1,
                "backoff_seconds": 0.1,
            }
        },
    )
    at = _end("error_burst")
    first = alerts(wh, "run", "--rules", str(rules), "--at", at)
    assert first.returncode == 1
    assert "not delivered, will retry next run" in first.stderr and "HTTP 500" in first.stderr
    assert f"also_{wh.target}" in first.stdout  # the other rule was evaluated and notified
    assert wh.scalar(f"select status from alerts.notification_outbox where rule_name = '{name}'") == "pending"
    handler.fail = False
    second = alerts(wh, "run", "--rules", str(rules), "--at", at)
    assert second.returncode == 1 and "not delivered" not in second.stderr
    assert len(handler.received) == 1
    body = handler.received[0]
    assert body["text"].startswith(f"[CRITICAL] {name}:") and body["attachments"][0]["fields"]
    assert body["alert"]["scope"]["provider"] == "anthropic"
    assert wh.query(
        f"select status, attempts from alerts.notification_outbox where rule_name = '{name}'"
    ) == [("sent", 2)]


# --- bad input ------------------------------------------------------------------------------------

GOOD = {"name": "r1", "metric": "error_rate", "scope": "overall", "condition": "> 0.1", "severity": "warning"}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"metric": "latency_p99"}, "unknown metric 'latency_p99'"),
        ({"condition": "=> 0.1"}, "operator '=>' is not one of"),
        ({"window": "-2h"}, "window '-2h' must be positive"),
        ({"severity": None}, "missing field(s): severity"),
        ({"scope": "user"}, "has no scope 'user'"),
        ({"metric": "latency_p95_ms", "window": "3h"}, "window must be 1h"),
        ({"notify": ["pager"]}, "no notifier named 'pager'"),
        ({"condition": "> 2x baseline", "baseline": "weekly"}, "baseline 'weekly' is not one of"),
    ],
)
def test_bad_rules_refused(
    duckdb_wh: Warehouse, tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    rule = {**GOOD, **change}
    rules = write_rules(tmp_path / "bad.yml", [{k: v for k, v in rule.items() if v is not None}])
    proc = duckdb_wh.cli("alerts", "run", "--rules", str(rules), check=False)
    assert proc.returncode == 2
    msg = " ".join(proc.stderr.split())
    assert str(rules) in msg
    assert "rule r1" in msg and problem in msg
    assert "Traceback" not in proc.stderr


def test_no_marts_exit_2(duckdb_wh: Warehouse) -> None:
    proc = duckdb_wh.cli("alerts", "run", check=False)
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    import duckdb

    duckdb.connect(str(duckdb_wh.path)).close()
    proc = duckdb_wh.cli("alerts", "run", check=False)
    assert proc.returncode == 2 and "no marts built" in proc.stderr and "Traceback" not in proc.stderr


# --- the mart columns the statistical rules pool -----------------------------------------------


def test_alert_mart_counts_match_the_facts(wh: Warehouse) -> None:
    """The alert mart's count columns (tokens, regenerations, thumbs, one per error type) against the
    same counts taken straight from fct_llm_requests and fct_feedback by SQL written here."""
    from llm_analytics.alerts.pooled import project_vars

    types = project_vars()["error_types"]
    per_type = "".join(f", sum(case when error_type = '{t}' then 1 else 0 end)" for t in types)
    facts = f"""
        with thumbs as (
            select r.request_hour, r.provider || '/' || r.model_id as scope_key, count(*) as thumbs_count,
                sum(case when f.feedback_type = 'thumbs_down' then 1 else 0 end) as thumbs_down_count
            from marts.fct_feedback as f inner join marts.fct_llm_requests as r on f.request_id = r.request_id
            where f.feedback_type in ('thumbs_up', 'thumbs_down')
            group by 1, 2
        ),
        calls as (
            select request_hour, provider || '/' || model_id as scope_key, sum(total_tokens),
                sum(case when is_regenerated then 1 else 0 end){per_type}
            from marts.fct_llm_requests group by 1, 2
        )
        select c.*, coalesce(t.thumbs_count, 0), coalesce(t.thumbs_down_count, 0)
        from calls c left join thumbs t on c.request_hour = t.request_hour and c.scope_key = t.scope_key
    """
    cols = ", ".join(["total_tokens", "regeneration_count", *(f"{t}_count" for t in types)])
    mart = f"""
        select activity_hour, scope_key, {cols}, thumbs_count, thumbs_down_count
        from marts.mart_alert_metrics_hourly where scope_type = 'provider_model'
    """
    expected = {(r[0], r[1]): tuple(int(v) for v in r[2:]) for r in wh.query(facts)}
    got = {(r[0], r[1]): tuple(int(v) for v in r[2:]) for r in wh.query(mart)}
    assert len(expected) > 100 and sum(v[-2] for v in expected.values()) > 50  # thumbs were given
    assert {k: got.get(k) for k in expected} == expected
    # hours without calls are present and zero
    assert all(v == (0,) * len(v) for k, v in got.items() if k not in expected)
    overall = wh.query(
        "select sum(total_tokens), sum(thumbs_down_count), min(thumbs_down_rate), max(thumbs_down_rate), "
        "sum(case when thumbs_count > 0 and abs(thumbs_down_rate - thumbs_down_count * 1.0 / thumbs_count) "
        "> 1e-12 then 1 else 0 end) from marts.mart_alert_metrics_hourly where scope_type = 'overall'"
    )[0]
    assert overall[0] == sum(v[0] for v in expected.values())
    assert overall[1] == sum(v[-1] for v in expected.values())
    assert 0 <= overall[2] <= overall[3] <= 1 and overall[4] == 0
