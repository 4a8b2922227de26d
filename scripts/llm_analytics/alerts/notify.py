"""Deliver queued notifications: stdout, a JSON-lines file, or an HTTP webhook (Slack-compatible).

Delivery reads the outbox, so a notification that failed in an earlier run is sent by this one. A
webhook gets a timeout per attempt and a few retries with exponential backoff; a failure is logged,
left pending and never stops the other notifications.
"""

from __future__ import annotations

import json
import time
import urllib.error
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
    state: str
    notifier: str
    ok: bool
    error: str | None


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
            url = webhook_url(notifier)
            if not url:
                raise DeliveryError(
                    f"no URL: set the environment variable {notifier.settings.get('url_env')}"
                )
            _post(
                url,
                slack_payload(alert),
                float(notifier.settings.get("timeout_seconds", 5)),
                int(notifier.settings.get("retries", 3)),
                float(notifier.settings.get("backoff_seconds", 1)),
            )
    except DeliveryError:
        raise
    except Exception as exc:  # a full disk or a bad path must not stop the other notifications
        raise DeliveryError(str(exc)) from exc


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
        out.append(Delivery(rule_name, scope_key, st, name, error is None, error))
    return out
