"""Alert state in the warehouse (schema `alerts`): what fired, what resolved, what still has to be sent.

- alert_events: one row per rule x scope x evaluated window end x state (firing | resolved). The
  primary key makes a second run for the same hour a no-op, whatever the engine.
- notification_outbox: one row per event x notifier, pending until delivered; a failed delivery stays
  pending and is retried by the next run, so nothing is lost and nothing is sent twice on purpose.
- rule_runs: the last evaluation of each rule (for `alerts list`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from ..warehouse import Db
from .evaluate import Evaluation
from .observation import FIRING, OK, Observation, scope_label
from .rules import format_duration

SCHEMA = "alerts"
DDL = [
    f"create schema if not exists {SCHEMA}",
    f"""create table if not exists {SCHEMA}.alert_events (
        rule_name varchar not null,
        scope_key varchar not null,
        window_end timestamp not null,
        state varchar not null,
        scope_type varchar not null,
        window_start timestamp not null,
        evaluated_at timestamp not null,
        severity varchar not null,
        metric varchar not null,
        observed_value double precision,
        threshold double precision,
        baseline_mean double precision,
        notified boolean not null,
        message varchar not null,
        details varchar not null,
        primary key (rule_name, scope_key, window_end, state)
    )""",
    f"""create table if not exists {SCHEMA}.notification_outbox (
        rule_name varchar not null,
        scope_key varchar not null,
        window_end timestamp not null,
        state varchar not null,
        notifier varchar not null,
        payload varchar not null,
        status varchar not null,
        attempts integer not null,
        last_error varchar,
        created_at timestamp not null,
        sent_at timestamp,
        primary key (rule_name, scope_key, window_end, state, notifier)
    )""",
    f"""create table if not exists {SCHEMA}.rule_runs (
        rule_name varchar not null,
        window_end timestamp not null,
        evaluated_at timestamp not null,
        firing_count integer not null,
        ok_count integer not null,
        unknown_count integer not null,
        error varchar,
        primary key (rule_name, window_end)
    )""",
]


@dataclass
class Event:
    """A state change written by this run: a firing (notified or held back by cooldown) or a resolve."""

    observation: Observation | None
    rule_name: str
    severity: str
    scope_key: str
    window_end: dt.datetime
    state: str
    notified: bool
    note: str
    message: str
    payload: dict[str, Any]


def ensure_schema(db: Db) -> None:
    for stmt in DDL:
        db.execute(stmt)
    db.commit()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _previous(db: Db, rule: str, end: dt.datetime) -> tuple[dict[str, str], dict[str, dt.datetime]]:
    """Per scope: the latest state before this window, and when a firing was last notified."""
    last = dict(
        (r[0], r[1])
        for r in db.rows(
            f"""select e.scope_key, e.state from {SCHEMA}.alert_events e
            inner join (
                select scope_key, max(window_end) as window_end from {SCHEMA}.alert_events
                where rule_name = ? and window_end < ? group by scope_key
            ) latest on e.scope_key = latest.scope_key and e.window_end = latest.window_end
            where e.rule_name = ? order by e.state""",  # 'firing' < 'resolved': resolved wins a tie
            (rule, end, rule),
        )
    )
    notified = dict(
        (r[0], r[1])
        for r in db.rows(
            f"select scope_key, max(window_end) from {SCHEMA}.alert_events "
            "where rule_name = ? and window_end < ? and state = 'firing' and notified group by scope_key",
            (rule, end),
        )
    )
    return last, notified


def record(db: Db, ev: Evaluation) -> list[Event]:
    """Write this evaluation's state changes and queue their notifications, idempotently."""
    rule, end, now = ev.rule, ev.window_end, utcnow()
    done = {
        (r[0], r[1])
        for r in db.rows(
            f"select scope_key, state from {SCHEMA}.alert_events where rule_name = ? and window_end = ?",
            (rule.name, end),
        )
    }
    already = {key for key, _ in done}
    last, notified = _previous(db, rule.name, end)
    events: list[Event] = []
    seen = {o.scope_key: o for o in ev.observations}
    for o in ev.firing:
        if o.scope_key in already:
            continue  # this window was evaluated before: its notification is already queued
        was_firing = last.get(o.scope_key) == FIRING
        last_sent = notified.get(o.scope_key)
        held = was_firing and last_sent is not None and end - last_sent < rule.cooldown
        note = (
            f"still firing; notified at {last_sent:%Y-%m-%d %H:%M}, cooldown {format_duration(rule.cooldown)}"
            if held
            else ""
        )
        events.append(
            _event(o, rule.name, rule.severity, o.scope_key, end, FIRING, not held, note, o.sentence())
        )
    for key, state in last.items():
        if state != FIRING or key in already:
            continue
        o = seen.get(key)
        if (o is not None and o.status == OK) or (o is None and ev.complete):
            where = scope_label(key, o.scope if o else {}, rule.scope)
            value = f" ({rule.metric.name} {o.value:.4g})" if o and o.value is not None else ""
            msg = (
                f"resolved: {where}: {rule.name} no longer fires in the window to "
                f"{end:%Y-%m-%d %H:%M} UTC{value}."
            )
            events.append(_event(o, rule.name, rule.severity, key, end, "resolved", True, "", msg))
    for e in events:
        _insert_event(db, rule, ev, e, now)
    db.execute(
        f"""insert into {SCHEMA}.rule_runs values (?, ?, ?, ?, ?, ?, null)
        on conflict (rule_name, window_end) do update set evaluated_at = excluded.evaluated_at,
            firing_count = excluded.firing_count, ok_count = excluded.ok_count,
            unknown_count = excluded.unknown_count, error = null""",
        (
            rule.name,
            end,
            now,
            len(ev.firing),
            sum(o.status == OK for o in ev.observations),
            sum(o.status not in (OK, FIRING) for o in ev.observations),
        ),
    )
    return events


def record_error(db: Db, rule_name: str, end: dt.datetime, error: str) -> None:
    db.execute(
        f"""insert into {SCHEMA}.rule_runs values (?, ?, ?, 0, 0, 0, ?)
        on conflict (rule_name, window_end) do update set evaluated_at = excluded.evaluated_at,
            error = excluded.error""",
        (rule_name, end, utcnow(), error),
    )


def _event(
    o: Observation | None,
    rule: str,
    severity: str,
    key: str,
    end: dt.datetime,
    state: str,
    notify: bool,
    note: str,
    message: str,
) -> Event:
    payload: dict[str, Any] = o.as_json() if o is not None else {"rule": rule, "severity": severity}
    payload.update(
        {
            "rule": rule,
            "scope_key": key,
            "state": state,
            "message": message,
            "window_end": end.isoformat(sep=" "),
        }
    )
    return Event(o, rule, severity, key, end, state, notify, note, message, payload)


def _insert_event(db: Db, rule: Any, ev: Evaluation, e: Event, now: dt.datetime) -> None:
    o = e.observation
    db.execute(
        f"""insert into {SCHEMA}.alert_events values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        on conflict do nothing""",
        (
            e.rule_name,
            e.scope_key,
            e.window_end,
            e.state,
            rule.scope,
            ev.window_start,
            now,
            e.severity,
            rule.metric.name,
            o.value if o else None,
            o.threshold if o else None,
            o.baseline_mean if o else None,
            e.notified,
            e.message,
            json.dumps(e.payload, default=str),
        ),
    )
    if not e.notified:
        return
    for notifier in rule.notify:
        db.execute(
            f"""insert into {SCHEMA}.notification_outbox
            values (?, ?, ?, ?, ?, ?, 'pending', 0, null, ?, null) on conflict do nothing""",
            (
                e.rule_name,
                e.scope_key,
                e.window_end,
                e.state,
                notifier,
                json.dumps(e.payload, default=str),
                now,
            ),
        )


def pending(db: Db) -> list[tuple[Any, ...]]:
    """Undelivered notifications, oldest first (this run's and earlier runs' failures)."""
    return db.rows(
        f"""select rule_name, scope_key, window_end, state, notifier, payload, attempts
        from {SCHEMA}.notification_outbox where status = 'pending'
        order by created_at, rule_name, scope_key"""
    )


def mark(db: Db, key: tuple[Any, ...], ok: bool, error: str | None) -> None:
    db.execute(
        f"""update {SCHEMA}.notification_outbox
        set status = ?, attempts = attempts + 1, last_error = ?, sent_at = ?
        where rule_name = ? and scope_key = ? and window_end = ? and state = ? and notifier = ?""",
        ("sent" if ok else "pending", error, utcnow() if ok else None, *key),
    )


def last_runs(db: Db) -> dict[str, tuple[Any, ...]]:
    """Per rule: the latest evaluated window, its counts and error, and scopes firing now."""
    if not db.table_exists(SCHEMA, "rule_runs"):
        return {}
    runs = db.rows(
        f"""select r.rule_name, r.window_end, r.evaluated_at, r.firing_count, r.error
        from {SCHEMA}.rule_runs r inner join (
            select rule_name, max(evaluated_at) as evaluated_at from {SCHEMA}.rule_runs group by rule_name
        ) latest on r.rule_name = latest.rule_name and r.evaluated_at = latest.evaluated_at"""
    )
    return {r[0]: r[1:] for r in runs}


def history(db: Db, rule: str | None, limit: int) -> list[tuple[Any, ...]]:
    if not db.table_exists(SCHEMA, "alert_events"):
        return []
    where, params = ("where rule_name = ?", [rule]) if rule else ("", [])
    return db.rows(
        f"""select window_end, rule_name, severity, state, scope_key, observed_value, threshold, notified,
            message from {SCHEMA}.alert_events {where}
        order by window_end desc, evaluated_at desc, rule_name, scope_key limit {int(limit)}""",
        params,
    )


def open_counts(db: Db) -> dict[str, int]:
    """Per rule: scopes whose latest event is a firing (the incidents still open)."""
    if not db.table_exists(SCHEMA, "alert_events"):
        return {}
    rows = db.rows(
        f"""select e.rule_name, count(*) from {SCHEMA}.alert_events e inner join (
            select rule_name, scope_key, max(window_end) as window_end from {SCHEMA}.alert_events
            group by rule_name, scope_key
        ) latest on e.rule_name = latest.rule_name and e.scope_key = latest.scope_key
            and e.window_end = latest.window_end
        where e.state = 'firing'
            and not exists (
                select 1 from {SCHEMA}.alert_events r where r.rule_name = e.rule_name
                and r.scope_key = e.scope_key and r.window_end = e.window_end and r.state = 'resolved'
            )
        group by e.rule_name"""
    )
    return {r[0]: int(r[1]) for r in rows}
