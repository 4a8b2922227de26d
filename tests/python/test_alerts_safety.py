"""What `alerts run` says and stores (issue 16 §3): no secret printed or stored, and the results
say what delivery did."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from llm_analytics.alerts import notify, state
from llm_analytics.alerts.rules import Notifier, RuleSet
from llm_analytics.warehouse import Db, open_duckdb

from .conftest import Warehouse

TOKEN = "T0AAAA/B0BBBB/xoxSeCrEtToKeN42"
END = dt.datetime(2026, 10, 12, 16)


def _outbox(notifier: Notifier, tmp_path: Path) -> tuple[Db, list[notify.Delivery]]:
    """One pending notification in a fresh alerts schema, then one delivery run."""
    db = Db("duckdb", open_duckdb(), read_only=False)
    state.ensure_schema(db)
    db.execute(
        "insert into alerts.notification_outbox values (?, ?, ?, ?, ?, ?, 'pending', 0, null, ?, null)",
        ("error_rate", "openai/gpt-4o", END, "firing", notifier.name, '{"rule": "error_rate"}', END),
    )
    db.commit()
    rules = RuleSet(tmp_path / "alerts.yml", (), {notifier.name: notifier})
    return db, notify.deliver(db, rules, io.StringIO())


def test_webhook_url_without_scheme_is_neither_printed_nor_stored(tmp_path: Path) -> None:
    hook = Notifier("slack", "webhook", {"url": f"hooks.slack.com/services/{TOKEN}", "retries": 0})
    db, deliveries = _outbox(hook, tmp_path)
    assert [d.ok for d in deliveries] == [False]
    error = str(deliveries[0].error)
    assert "https://" in error
    stored = db.rows("select status, last_error from alerts.notification_outbox")
    assert stored[0][0] == "pending"
    for text in (error, str(stored[0][1])):
        assert "xoxSeCrEtToKeN42" not in text and "B0BBBB" not in text


def test_unreachable_webhook_error_hides_the_token(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:1/services/{TOKEN}"
    hook = Notifier("slack", "webhook", {"url": url, "retries": 0, "timeout_seconds": 2})
    db, deliveries = _outbox(hook, tmp_path)
    assert not deliveries[0].ok
    stored = str(db.rows("select last_error from alerts.notification_outbox")[0][0])
    assert "xoxSeCrEtToKeN42" not in str(deliveries[0].error) + stored


def test_results_say_what_delivery_did(tmp_path: Path) -> None:
    hook = Notifier("slack", "webhook", {"url": "http://127.0.0.1:1/x", "retries": 0, "timeout_seconds": 2})
    _, deliveries = _outbox(hook, tmp_path)
    result = {
        "rule": "error_rate",
        "scope_key": "openai/gpt-4o",
        "window_end": END.isoformat(sep=" "),
        "state": "firing",
        "notification": "queued",
    }
    [shown] = notify.with_delivery([result], deliveries)
    assert shown["notification"] != "sent"
    assert shown["notification"].startswith("not delivered (slack: ")
    assert shown["notification"].endswith("retried next run")
    ok = [notify.Delivery("error_rate", "openai/gpt-4o", END, "firing", "stdout", True, None)]
    assert notify.with_delivery([result], ok)[0]["notification"] == "sent"


def test_alerts_run_connection_failure_never_prints_the_password(postgres_wh: Warehouse) -> None:
    postgres_wh.env.update(PGPORT="1", PGPASSWORD="hunter2-s3cret")
    proc = postgres_wh.cli("alerts", "run", "--target", "postgres", check=False)
    message = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode == 2, message
    assert "cannot connect to PostgreSQL" in message
    assert "hunter2-s3cret" not in message
    assert "Traceback" not in message
