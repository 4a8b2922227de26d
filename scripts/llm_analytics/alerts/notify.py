"""Deliver queued notifications: stdout, a JSON-lines file, or an HTTP webhook (Slack-compatible).

Delivery reads the outbox, so a notification that failed in an earlier run is sent by this one. A
webhook gets a timeout per attempt and a few retries with exponential backoff; a failure is logged,
left pending and never stops the other notifications.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..warehouse import Db
from . import state
from .rules import Notifier, RuleSet, webhook_url

COLORS = {"info": "#439FE0", "warning": "#ECB22E", "high": "#E01E5A", "critical": "#8B0000"}


class DeliveryError(Exception):
    """One notification could not be delivered (it stays pending)."""


@dataclass
class Delivery:
    rule_name: str
    scope_key: str
    window_end: Any
    state: str
    notifier: str
    ok: bool
    error: str | None


def status_of(deliveries: list[Delivery], rule: str, scope_key: str, window_end: Any, st: str) -> str | None:
    """What happened to one event's notifications in this run, said plainly (None: none was tried).

    The results table is printed after delivery, so it reports the outcome, not the intention: a
    failed webhook reads "not delivered", never "sent".
    """
    key = (rule, scope_key, _when(window_end), st)
    mine = [d for d in deliveries if (d.rule_name, d.scope_key, _when(d.window_end), d.state) == key]
    if not mine:
        return None
    failed = [d for d in mine if not d.ok]
    if not failed:
        return "sent"
    names = ", ".join(f"{d.notifier}: {d.error}" for d in failed)
    sent = [d.notifier for d in mine if d.ok]
    done = f"sent to {', '.join(sent)}; " if sent else ""
    return f"{done}not delivered ({names}), retried next run"


def with_delivery(results: list[dict[str, Any]], deliveries: list[Delivery]) -> list[dict[str, Any]]:
    """The run's results with what delivery did, not what was queued: they are printed after it."""
    out = []
    for r in results:
        status = status_of(deliveries, r["rule"], r.get("scope_key"), r.get("window_end"), r["state"])
        out.append({**r, "notification": status} if status and r.get("notification") == "queued" else r)
    return out


def _when(value: Any) -> str:
    """A window end from the outbox (a timestamp) or a result (ISO text), comparable either way."""
    return value.isoformat(sep=" ") if hasattr(value, "isoformat") else str(value)


def redact_url(url: str) -> str:
    """A webhook URL as it may be shown: scheme and host only (the path and query carry the token)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}/..."
    return "<webhook URL, not shown>"


def _scrub(text: str, url: str) -> str:
    """TEXT without URL or any piece of its path: an error from urllib may quote the URL it got."""
    text = text.replace(url, redact_url(url))
    parts = urllib.parse.urlsplit(url if "://" in url else "//" + url)
    for piece in [parts.path, parts.query, *parts.path.split("/")]:
        if len(piece) >= 6:
            text = text.replace(piece, "...")
    return text


def slack_payload(alert: dict[str, Any]) -> dict[str, Any]:
    """Slack's incoming-webhook shape (text + attachment); the full alert rides along under `alert`."""
    resolved = alert.get("state") == "resolved"
    head = "RESOLVED" if resolved else str(alert.get("severity", "")).upper()
    fields = [
        {"title": k.replace("_", " "), "value": str(alert[k]), "short": True}
        for k in ("metric", "scope_key", "value", "threshold", "window_end")
        if alert.get(k) is not None
    ]
    return {
        "text": f"[{head}] {alert.get('rule')}: {alert.get('message')}",
        "attachments": [
            {
                "color": "good" if resolved else COLORS.get(str(alert.get("severity")), "#999999"),
                "title": f"{alert.get('rule')} ({alert.get('scope_key')})",
                "text": alert.get("message"),
                "fields": fields,
            }
        ],
        "alert": alert,
    }


def _post(url: str, body: dict[str, Any], timeout: float, retries: int, backoff: float) -> None:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError("the webhook URL does not start with https:// or http:// (the URL is not shown)")
    data = json.dumps(body, default=str).encode()
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                if 200 <= resp.status < 300:
                    return
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                break  # the payload or URL is wrong: retrying now will not help
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            last = str(getattr(exc, "reason", exc))
    raise DeliveryError(f"{last} after {attempt + 1} attempt(s)")


def send(notifier: Notifier, alert: dict[str, Any], base: Path, stdout: TextIO) -> None:
    """One delivery; raises DeliveryError (never anything else) when it did not go through."""
    try:
        if notifier.type == "stdout":
            print(
                f"[{alert.get('severity')}] {alert.get('rule')} {alert.get('state')}: {alert.get('message')}",
                file=stdout,
            )
        elif notifier.type == "jsonl":
            path = Path(str(notifier.settings["path"]))
            path = path if path.is_absolute() else base / path
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a") as fh:
                fh.write(json.dumps(alert, default=str) + "\n")
        else:
            _send_webhook(notifier, alert)
    except DeliveryError:
        raise
    except Exception as exc:  # a full disk or a bad path must not stop the other notifications
        raise DeliveryError(str(exc)) from None


def _send_webhook(notifier: Notifier, alert: dict[str, Any]) -> None:
    """POST the alert; an error never carries the URL, whose path is the webhook's secret token."""
    url = webhook_url(notifier)
    if not url:
        raise DeliveryError(f"no URL: set the environment variable {notifier.settings.get('url_env')}")
    try:
        _post(
            url,
            slack_payload(alert),
            float(notifier.settings.get("timeout_seconds", 5)),
            int(notifier.settings.get("retries", 3)),
            float(notifier.settings.get("backoff_seconds", 1)),
        )
    except Exception as exc:  # printed and stored in the outbox: keep the token out of both
        raise DeliveryError(_scrub(str(exc), url)) from None


def deliver(db: Db, rules: RuleSet, stdout: TextIO) -> list[Delivery]:
    """Send every pending notification, committing each outcome so progress survives a crash."""
    out = []
    for rule_name, scope_key, window_end, st, name, payload, _attempts in state.pending(db):
        notifier = rules.notifiers.get(name)
        error = None
        try:
            if notifier is None:
                raise DeliveryError(f"notifier {name!r} is no longer defined in {rules.path}")
            send(notifier, json.loads(payload), rules.path.parent, stdout)
        except DeliveryError as exc:
            error = str(exc)
        db.begin()
        state.mark(db, (rule_name, scope_key, window_end, st, name), error is None, error)
        db.commit()
        out.append(Delivery(rule_name, scope_key, window_end, st, name, error is None, error))
    return out
