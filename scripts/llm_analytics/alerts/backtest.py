"""`llm-analytics alerts backtest`: what a rules file would have said, hour by hour, over a range.

The tool a team runs before switching a rule on: it evaluates every hour exactly as `alerts run`
would, records and sends nothing, and groups the hours a rule fired for one scope into incidents
(consecutive firing hours), each with its peak, so a rule that would page thirty times a week is
seen as such before anyone is woken by it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..warehouse import Db
from .evaluate import Evaluation, evaluate
from .observation import Observation
from .rules import Rule

HOUR = dt.timedelta(hours=1)


@dataclass
class Incident:
    """Consecutive evaluated hours in which one rule fired for one scope."""

    rule: str
    severity: str
    scope_key: str
    first_hour: dt.datetime  # start of the first firing hour (its window's end minus one hour)
    last_hour: dt.datetime
    hours: int
    peak_value: float | None
    peak_hour: dt.datetime
    peak_message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "scope_key": self.scope_key,
            "first_hour": self.first_hour.isoformat(sep=" "),
            "last_hour": self.last_hour.isoformat(sep=" "),
            "hours": self.hours,
            "peak_value": self.peak_value,
            "peak_hour": self.peak_hour.isoformat(sep=" "),
            "message": self.peak_message,
        }


@dataclass
class RuleReport:
    """One rule over the range: how many hours it fired and the incidents they make."""

    rule: Rule
    firing_hours: int = 0
    incidents: list[Incident] = field(default_factory=list)


def hour_ends(first: dt.datetime, last: dt.datetime) -> list[dt.datetime]:
    """Window ends of every hour starting in [first, last): the hours `--from` / `--to` name."""
    out, end = [], first + HOUR
    while end <= last:
        out.append(end)
        end += HOUR
    return out


def _peak(obs: list[Observation]) -> Observation:
    """The most extreme firing hour: the largest value, or the smallest for '<' conditions."""
    low = obs[0].rule.condition.op in ("<", "<=")
    valued = [o for o in obs if o.value is not None] or obs
    return (min if low else max)(valued, key=lambda o: o.value or 0.0)


def group_incidents(rule: Rule, firing: Iterable[Observation]) -> list[Incident]:
    """Consecutive hours of the same scope are one incident (what an on-call person sees as one)."""
    by_scope: dict[str, list[Observation]] = {}
    for o in sorted(firing, key=lambda o: (o.scope_key, o.window_end)):
        by_scope.setdefault(o.scope_key, []).append(o)
    out: list[Incident] = []
    for key, obs in by_scope.items():
        run: list[Observation] = []
        for o in [*obs, None]:
            if o is not None and (not run or o.window_end - run[-1].window_end == HOUR):
                run.append(o)
                continue
            if run:
                p = _peak(run)
                out.append(
                    Incident(
                        rule.name,
                        rule.severity,
                        key,
                        run[0].window_end - HOUR,
                        run[-1].window_end - HOUR,
                        len(run),
                        p.value,
                        p.window_end - HOUR,
                        p.sentence(),
                    )
                )
            run = [o] if o is not None else []
    return sorted(out, key=lambda i: (i.first_hour, i.scope_key))


def backtest(
    db: Db,
    rules: Iterable[Rule],
    first: dt.datetime,
    last: dt.datetime,
    on_error: Callable[[Rule, dt.datetime, Exception], None] | None = None,
) -> list[RuleReport]:
    """Evaluate each rule at every hour of [first, last); nothing is written or sent."""
    reports = []
    ends = hour_ends(first, last)
    for rule in rules:
        firing: list[Observation] = []
        for end in ends:
            try:
                ev: Evaluation = evaluate(db, rule, end)
            except Exception as exc:  # one broken rule must not hide the others' history
                db.rollback()
                if on_error is None:
                    raise
                on_error(rule, end, exc)
                break
            firing += ev.firing
        report = RuleReport(rule, len({(o.window_end) for o in firing}), group_incidents(rule, firing))
        reports.append(report)
    return reports
