"""The sample generator: deterministic, exactly sized, and carrying what the marts must find."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import duckdb
from llm_analytics.generate import TOPIC_QUERIES, Options, generate, incidents
from llm_analytics.loader import discover
from llm_analytics.raw_checks import check_file

START = dt.datetime(2026, 10, 1)


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for table in ("llm_requests", "feedback_events", "product_events", "users", "experiment_assignments"):
        rows = duckdb.sql(f"select * from '{folder / table}.parquet' order by all").fetchall()
        h.update(repr(rows).encode())
    return h.hexdigest()


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=7, days=7, users=50, requests=3000, start=START)
    b = generate(tmp_path / "b", seed=7, days=7, users=50, requests=3000, start=START)
    generate(tmp_path / "c", seed=8, days=7, users=50, requests=3000, start=START)
    assert a.rows == b.rows
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_sample_carries_dirt_incidents_and_signals(tmp_path: Path) -> None:
    out = tmp_path / "s"
    summary = generate(out, seed=1, days=28, users=400, requests=40_000, start=START)
    req = str(out / "llm_requests.parquet")
    con = duckdb.connect()
    distinct, total = con.execute(f"select count(distinct event_id), count(*) from '{req}'").fetchone()
    assert distinct == 40_000  # exactly --requests calls ...
    assert total > distinct  # ... plus redelivered duplicates
    assert summary.rows["llm_requests"] == total
    late = con.execute(
        f"select avg(case when received_at > occurred_at + interval 1 day then 1 else 0 end) from '{req}'"
    )
    assert 0.005 < late.fetchone()[0] < 0.05
    assert con.execute(f"select count(*) from '{req}' where completion_tokens < 0").fetchone()[0] > 0
    assert (
        con.execute(f"select count(*) from '{req}' where query_text like '%@example.com%'").fetchone()[0] > 0
    )
    assert con.execute(f"select count(*) from '{req}' where model_id = 'acme-llm-7b'").fetchone()[0] > 0
    versions = con.execute(
        f"select distinct model_version from '{req}' where model_id = 'gpt-4o-mini'"
    ).fetchall()
    assert sorted(v[0] for v in versions) == ["v1", "v2"]
    explicit = con.execute(
        f"select avg(case when explicit_rating is not null then 1 else 0 end) from '{req}' "
        "where status = 'success'"
    ).fetchone()[0]
    assert 0.03 <= explicit <= 0.05

    # the error burst hour: anthropic fails far more often than in other hours
    burst = next(i for i in incidents(START, 28) if i.kind == "error_burst")
    in_burst, outside = con.execute(
        f"""select
            avg(case when status = 'error' then 1.0 else 0 end) filter (where occurred_at >= '{burst.start}'
                and occurred_at < '{burst.end}'),
            avg(case when status = 'error' then 1.0 else 0 end) filter (where occurred_at < '{burst.start}')
        from '{req}' where provider = 'anthropic'"""
    ).fetchone()
    assert in_burst > 0.3 > 0.05 > outside
    spike = next(i for i in incidents(START, 28) if i.kind == "latency_spike")
    ratio = con.execute(
        f"""select
            median(total_latency_ms) filter (
                where occurred_at >= '{spike.start}' and occurred_at < '{spike.end}')
            / median(total_latency_ms) filter (where occurred_at < '{spike.start}')
        from '{req}' where provider = 'openai' and status = 'success' and routing_strategy != 'cache'"""
    ).fetchone()[0]
    assert ratio > 3
    # weekly pattern: weekdays busier than weekends
    weekday, weekend = con.execute(
        f"""select count(*) filter (where isodow(occurred_at) <= 5) / 5.0,
                   count(*) filter (where isodow(occurred_at) > 5) / 2.0 from '{req}'"""
    ).fetchone()
    assert weekday > 1.3 * weekend
    # the experiment's treatment converts better
    conv = dict(
        con.execute(
            f"""select a.variant, count(distinct p.session_id) filter (where p.event_name = 'converted')
                / count(distinct p.session_id) filter (where p.event_name = 'ai_query')
            from '{out / "product_events.parquet"}' p
            join '{out / "experiment_assignments.parquet"}' a using (user_id)
            where a.experiment_id = 'assistant_prompt_v2' group by 1"""
        ).fetchall()
    )
    assert conv["treatment"] > conv["control"]
    # sample_experiments: onboarding_tips under-fills 'baseline' (sample-ratio mismatch); answer_style: 3 arms
    arms = dict(
        con.execute(
            f"""select experiment_id, count(distinct variant) from '{out / "experiment_assignments.parquet"}'
            group by 1"""
        ).fetchall()
    )
    assert arms == {"assistant_prompt_v2": 2, "onboarding_tips": 2, "answer_style": 3}
    baseline = con.execute(
        f"""select avg(case when variant = 'baseline' then 1 else 0 end)
        from '{out / "experiment_assignments.parquet"}' where experiment_id = 'onboarding_tips'"""
    ).fetchone()[0]
    assert baseline < 0.5


# --- the options: each checks the property it promises, on a small generation -------------------

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}")
PHONE = re.compile(r"\+\d{1,2} \d{2,3}[ -]\d{3,4}[ -]\d{4}|\(\d{3}\) \d{3}-\d{4}")
CARD = re.compile(r"\b\d{4} \d{4} \d{4} \d{4}\b")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: \d{4}){4} \d{2}\b")
IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
IPV6 = re.compile(r"\b[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){1,6}::?[0-9a-f]{1,4}\b")
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
PII = {"email": EMAIL, "phone": PHONE, "card": CARD, "iban": IBAN, "ipv4": IPV4, "ipv6": IPV6, "ssn": SSN}


def _column(path: Path, sql: str) -> list:
    return [r[0] for r in duckdb.execute(sql.format(t=f"'{path}'")).fetchall()]


def _pii_share(texts: list[str]) -> tuple[float, set[str]]:
    """The share of texts holding personal data of any kind, and the kinds found."""
    kinds = {k for t in texts for k, rx in PII.items() if rx.search(t)}
    return sum(any(rx.search(t) for rx in PII.values()) for t in texts) / max(len(texts), 1), kinds


def test_realistic_text_is_distinct_long_tailed_and_still_classifiable(tmp_path: Path) -> None:
    out = tmp_path / "r"
    generate(out, seed=5, days=14, users=300, requests=20_000, start=START, opts=Options(realistic_text=True))
    req = out / "llm_requests.parquet"
    q = _column(req, "select query_text from (select distinct on (event_id) * from {t})")
    lengths = sorted(len(t) for t in q)
    assert len(set(q)) / len(q) > 0.9
    assert 150 < lengths[len(q) // 2] < 800  # median: a few hundred characters
    assert lengths[int(len(q) * 0.99)] > 3_000 and 10_000 < lengths[-1] <= 50_100  # the long tail
    # topic classification: every prompt opens with a question of its category, whole words
    rows = duckdb.execute(f"select query_category, query_text from '{req}'").fetchall()
    assert all(
        any(text.startswith(x + " ") or text.startswith(x + ".") for x in TOPIC_QUERIES[cat])
        for cat, text in rows
    )
    r = _column(req, "select response_text from {t} where response_text is not null")
    r_len = sorted(len(t) for t in r)
    assert len(set(r)) / len(r) > 0.9
    assert 1_000 < r_len[len(r) // 2] < 2_500 and 10_000 < r_len[-1] <= 20_200
    zero = [t for t in r if re.search(r"couldn't find|no results|unable to find|i don't know", t, re.I)]
    assert 0.01 < len(zero) / len(r) < 0.1
    # only where planted (a duplicate generation may come back upper-cased: sample_routing)
    assert all(t.strip().lower().startswith("i couldn't find any results") for t in zero)
    lengths_ok = duckdb.execute(
        f"select count(*) filter (where length(response_text) != response_length_chars) from '{req}'"
    ).fetchone()[0]
    assert lengths_ok == 0


def test_realistic_text_plants_personal_data_at_realistic_rates(tmp_path: Path) -> None:
    out = tmp_path / "r"
    generate(out, seed=5, days=14, users=300, requests=20_000, start=START, opts=Options(realistic_text=True))
    req = out / "llm_requests.parquet"
    prompt_share, prompt_kinds = _pii_share(_column(req, "select query_text from {t}"))
    assert 0.01 < prompt_share < 0.04  # ~2% planted
    assert prompt_kinds == set(PII)
    resp_share, _ = _pii_share(_column(req, "select response_text from {t} where response_text is not null"))
    assert 0 < resp_share < prompt_share / 2  # ~0.4% planted
    comments = _column(out / "feedback_events.parquet", "select comment from {t} where comment is not null")
    share, _ = _pii_share(comments)
    assert 0 < share < 0.1 and len(set(comments)) / len(comments) > 0.9


def test_realistic_text_leaves_the_other_columns_as_they_were(tmp_path: Path) -> None:
    kw = {"seed": 3, "days": 7, "users": 100, "requests": 5_000, "start": START}
    generate(tmp_path / "a", **kw)
    generate(tmp_path / "b", **kw, opts=Options(realistic_text=True))
    cols = "* exclude (query_text, response_text, response_length_chars)"
    a, b = (
        duckdb.execute(
            f"select {cols} from '{tmp_path / x / 'llm_requests.parquet'}' order by all"
        ).fetchall()
        for x in "ab"
    )
    assert a == b


def test_pre_start_users_signed_up_before_and_call_from_day_one(tmp_path: Path) -> None:
    out = tmp_path / "p"
    generate(out, seed=2, days=14, users=400, requests=20_000, start=START, opts=Options(pre_start_users=0.5))
    users = out / "users.parquet"
    before, earliest = duckdb.execute(
        f"select avg(case when signed_up_at < '{START}' then 1.0 else 0 end), min(signed_up_at) "
        f"from '{users}'"
    ).fetchone()
    assert before == 0.5
    assert earliest >= START - dt.timedelta(days=180)
    day_one = dict(
        duckdb.execute(
            f"""select u.signed_up_at < '{START}', count(distinct r.user_id)
            from '{out / "llm_requests.parquet"}' r join '{users}' u using (user_id)
            where r.occurred_at < '{START + dt.timedelta(days=1)}' group by 1"""
        ).fetchall()
    )
    assert day_one[True] > 0.3 * 200  # existing users are active from the first day ...
    assert day_one[True] > 3 * day_one.get(False, 0)  # ... and are most of its users


def test_calls_per_hour_sets_the_traffic_level(tmp_path: Path) -> None:
    out = tmp_path / "h"
    summary = generate(out, seed=4, days=7, users=200, start=START, calls_per_hour=30)
    assert summary.requests == 30 * 24 * 7
    calls, hours, busiest, quietest = duckdb.execute(
        f"""with h as (select hour(occurred_at) as h, count(distinct event_id) as n
                from '{out / "llm_requests.parquet"}' group by 1)
        select sum(n), 7 * 24, max(n), min(n) from h"""
    ).fetchone()
    assert calls / hours == 30  # N calls per hour on average ...
    assert busiest > 3 * quietest  # ... with the hour-of-day shape around it


def test_calls_per_hour_cli_refuses_both_sizes_and_a_non_positive_rate(tmp_path: Path) -> None:
    from llm_analytics.cli import app
    from typer.testing import CliRunner

    both = CliRunner().invoke(
        app, ["generate", "--out", str(tmp_path), "--requests", "10", "--calls-per-hour", "5"]
    )
    assert both.exit_code == 2 and "not both" in both.output
    zero = CliRunner().invoke(app, ["generate", "--out", str(tmp_path), "--calls-per-hour", "0"])
    assert zero.exit_code == 2 and "positive" in zero.output


def test_poison_rows_are_planted_and_the_loader_accepts_them(tmp_path: Path) -> None:
    out = tmp_path / "x"
    generate(out, seed=6, days=7, users=100, requests=20_000, start=START, opts=Options(poison=True))
    req = f"'{out / 'llm_requests.parquet'}'"
    found = duckdb.execute(
        f"""select
            count(*) filter (where isnan(total_latency_ms)),
            count(*) filter (where isinf(total_latency_ms) or isinf(ttft_ms)),
            count(*) filter (where greatest(prompt_tokens, completion_tokens) = 9223372036854775807),
            count(*) filter (where query_text = ''),
            count(*) filter (where length(query_text) >= 1000000),
            count(*) filter (where query_text like '%' || chr(27) || '%'),
            count(*) filter (where occurred_at < '1901-01-01' or occurred_at > '2900-01-01'),
            count(*) filter (where event_id is null and user_id is null),
            count(*) filter (where strpos(query_text, chr(0)) > 0)
        from {req}"""
    ).fetchone()
    assert found[:8] == (1, 3, 2, 1, 1, 1, 2, 1) and found[8] == 0  # and never a NUL byte
    rating = duckdb.execute(f"select max(rating) from '{out / 'feedback_events.parquet'}'").fetchone()[0]
    assert rating == 9223372036854775807
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    for f in discover(out, None, tmp_path / "work"):
        check_file(con, f)  # refuses (raises) a file the loader would not load


def test_pricier_fallbacks_and_same_answer_regenerations_are_planted(tmp_path: Path) -> None:
    """sample_routing: one feature's fallbacks go to a pricier model, and one model's regenerations
    repeat the answer (other case and spacing): its duplicate rate stands out."""
    from llm_analytics import sample_routing as sr

    out = tmp_path / "r"
    generate(out, seed=3, days=7, users=200, requests=20_000, start=START)
    req = f"'{out / 'llm_requests.parquet'}'"
    fallbacks = duckdb.execute(
        f"select distinct model_id from {req} "
        f"where feature_id = '{sr.FALLBACK_FEATURE}' and routing_strategy = 'fallback'"
    ).fetchall()
    assert fallbacks == [(sr.FALLBACK_MODEL[1],)]
    rates = dict(
        duckdb.execute(
            f"""with responses as (
                select distinct on (event_id) event_id, occurred_at, model_id, query_text,
                    lower(trim(regexp_replace(response_text, '\\s+', ' ', 'g'))) as answer
                from {req} where status = 'success' and response_text is not null
            ), ranked as (
                select model_id, row_number() over (
                    partition by query_text, answer order by occurred_at, event_id) as n
                from responses
            )
            select model_id, avg(case when n > 1 then 1.0 else 0 end) from ranked group by model_id"""
        ).fetchall()
    )
    others = max(rate for model, rate in rates.items() if model != sr.DUPLICATE_MODEL)
    assert rates[sr.DUPLICATE_MODEL] > 1.5 * others
