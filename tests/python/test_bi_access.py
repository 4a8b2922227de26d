"""Read-only access for BI tools (docs/bi.md), tested as the BI tool would connect: a login role
on PostgreSQL reads every mart and is refused everything else (raw, staging, intermediate, where
prompt text lives, and the seeds, build state and alerts state); the password `llm-analytics grant`
sets is the environment's and never shows in what the command prints; on DuckDB the command says
to open the file read-only instead.

No dbt build of their own: they read private copies of the shared built fixture (a database
template copy, no rebuild), whose build already ran dbt's grants and the hook that creates the
role."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from llm_analytics.grant import DEFAULT_ROLE

from .conftest import Warehouse, _pg_conninfo

# Schemas a BI role must never read, each holding something after the fixture's build (and, for
# alerts, after its state tables are created).
CLOSED = ("raw", "staging", "intermediate", "seeds", "build_state", "alerts")
SYSTEM = ("pg_catalog", "information_schema", "pg_toast")


@contextmanager
def admin(wh: Warehouse) -> Iterator[Any]:
    import psycopg

    wh.activate()  # its database answers to PGDATABASE while in use (tests/python/conftest.py)
    with psycopg.connect(_pg_conninfo(wh.env["PGDATABASE"]), autocommit=True) as con:
        yield con


def connect_as(wh: Warehouse, user: str, password: str) -> Any:
    """A connection as USER (its password: servers that check one do; trust ignores it)."""
    import psycopg

    wh.activate()
    settings = dict(p.split("=", 1) for p in _pg_conninfo(wh.env["PGDATABASE"]).split())
    settings.update(user=user, password=password)
    return psycopg.connect(" ".join(f"{k}={v}" for k, v in settings.items()), autocommit=True)


def relations(wh: Warehouse) -> dict[str, list[str]]:
    """Every table and view of the warehouse outside the system catalogs, by schema."""
    out: dict[str, list[str]] = {}
    for schema, name in wh.query(
        "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        f" where c.relkind in ('r', 'v', 'm', 'p') and n.nspname not in {SYSTEM}"
        " and n.nspname not like 'pg_temp%' order by 1, 2"
    ):
        out.setdefault(schema, []).append(f'"{schema}"."{name}"')
    return out


def assert_reads_marts_only(wh: Warehouse, user: str, password: str) -> None:
    """USER can select from every relation of schema marts and from nothing else."""
    import psycopg

    found = relations(wh)
    missing = [s for s in ("marts", *CLOSED) if not found.get(s)]
    assert not missing, f"the test needs relations in {missing}"
    read, refused, leaked = 0, [], []
    with connect_as(wh, user, password) as con:
        for schema, names in found.items():
            for name in names:
                try:
                    con.execute(f"select * from {name} limit 1").fetchall()
                except psycopg.errors.InsufficientPrivilege:
                    refused.append(name)
                    continue
                if schema == "marts":
                    read += 1
                else:
                    leaked.append(name)
    marts_refused = [r for r in refused if r.startswith('"marts".')]
    assert read == len(found["marts"]), f"marts refused: {marts_refused}"
    assert not leaked, f"readable outside marts: {leaked}"
    assert len(refused) == sum(len(v) for s, v in found.items() if s != "marts")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def grant_cli(wh: Warehouse, *args: str, **env: str | None) -> Run:
    """`llm-analytics grant ARGS` in this process (typer's runner: the same command and output as
    the installed script, without a second interpreter's start-up), with ENV over the warehouse's."""
    from llm_analytics.cli import app
    from typer.testing import CliRunner

    wh.activate()
    result = CliRunner().invoke(app, ["grant", *args], env={**wh.env, **env}, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def create_alerts_state(wh: Warehouse) -> None:
    """The alerts state tables, as the first `llm-analytics alerts run` creates them."""
    from llm_analytics.alerts.state import DDL

    with admin(wh) as con:
        for statement in DDL:
            con.execute(statement)


def drop_roles(wh: Warehouse, *roles: str) -> None:
    """Roles are the server's, not the database's: drop the test's (after their privileges here)."""
    with admin(wh) as con:
        for role in roles:
            if con.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                con.execute(f"drop owned by {role}")
                con.execute(f"drop role {role}")


def scram_matches(verifier: str, password: str, user: str) -> bool:
    """True when the stored verifier (SCRAM-SHA-256, or md5 on servers set so) is PASSWORD's."""
    if verifier.startswith("md5"):
        return verifier == "md5" + hashlib.md5((password + user).encode()).hexdigest()
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256", verifier
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


def test_the_build_grants_the_marts_and_nothing_else(postgres_built_copy: Warehouse) -> None:
    """dbt's grants and the on-run-start hook alone (no `grant` command): a member of the default
    reader role reads every mart and nothing in raw, staging, intermediate, seeds, build state or
    the alerts state."""
    wh = postgres_built_copy
    create_alerts_state(wh)
    probe, password = f"llm_analytics_probe_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with admin(wh) as con:
        con.execute(f"create role {probe} login password '{password}' in role {DEFAULT_ROLE}")
    try:
        assert_reads_marts_only(wh, probe, password)
    finally:
        drop_roles(wh, probe)


def test_grant_creates_a_reader_and_a_login_role(postgres_built_copy: Warehouse) -> None:
    """`llm-analytics grant --login` on a role the build never granted to: the login role reads
    every mart, tables created in marts afterwards too (default privileges), and nothing else; a
    second run changes nothing but the password; the stored password is the environment's, and no
    output shows it."""
    wh = postgres_built_copy
    create_alerts_state(wh)
    suffix = uuid.uuid4().hex[:8]
    role, login = f"bi_reader_{suffix}", f"bi_login_{suffix}"
    password = f"pw-{uuid.uuid4().hex}"
    env_var = "LLM_ANALYTICS_TEST_BI_PASSWORD"
    args = ("--target", "postgres", "--role", role, "--login", "--login-role", login)
    args += ("--password-env", env_var)
    try:
        first = grant_cli(wh, *args, **{env_var: password})
        assert first.returncode == 0, first.stdout + first.stderr
        assert f"role {role} (created" in first.stdout
        assert f"login role {login} (created)" in first.stdout
        assert_reads_marts_only(wh, login, password)
        with admin(wh) as con:  # a table the build creates later: readable without another grant
            con.execute("create table marts.probe_new_mart as select 1 as n")
        with connect_as(wh, login, password) as con:
            assert con.execute("select n from marts.probe_new_mart").fetchall() == [(1,)]
            # its search_path is marts: tools that do not ask for a schema find the marts
            assert con.execute("select n from probe_new_mart").fetchall() == [(1,)]

        second = grant_cli(wh, *args, **{env_var: password})
        assert second.returncode == 0, second.stdout + second.stderr
        assert f"role {role} (exists" in second.stdout
        assert f"login role {login} (password reset)" in second.stdout
        with admin(wh) as con:
            verifier, can_login, members = con.execute(
                "select a.rolpassword, a.rolcanlogin, (select count(*) from pg_auth_members m"
                " join pg_roles g on g.oid = m.roleid where m.member = a.oid and g.rolname = %s)"
                " from pg_authid a where a.rolname = %s",
                (role, login),
            ).fetchone()
            can_login_reader = con.execute(
                "select rolcanlogin from pg_roles where rolname = %s", (role,)
            ).fetchone()[0]
        assert can_login and members == 1 and not can_login_reader
        assert password not in verifier and scram_matches(verifier, password, login)
        for proc in (first, second):
            assert password not in proc.stdout + proc.stderr
            assert verifier not in proc.stdout + proc.stderr
    finally:
        drop_roles(wh, login, role)


def test_the_password_never_shows_when_grant_fails(postgres_wh: Warehouse) -> None:
    """Refusals and server errors name the problem, never the password: a login role that would
    take over a superuser, a name the server reserves, and a missing variable."""
    wh = postgres_wh
    password = f"pw-{uuid.uuid4().hex}"
    role = f"bi_reader_{uuid.uuid4().hex[:8]}"
    superuser = os.environ.get("PGUSER", "postgres")
    try:
        for login, expected in ((superuser, "more than read access"), ("pg_bi_login", "reserved")):
            run = grant_cli(
                wh, "--role", role, "--login", "--login-role", login, LLM_ANALYTICS_BI_PASSWORD=password
            )
            assert run.returncode == 2, run.stdout + run.stderr
            assert expected in run.stderr and password not in run.stdout + run.stderr
        run = grant_cli(wh, "--role", role, "--login", LLM_ANALYTICS_BI_PASSWORD=None)
        assert run.returncode == 2 and "LLM_ANALYTICS_BI_PASSWORD" in run.stderr
        with admin(wh) as con:  # refused runs leave nothing behind
            assert not con.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
    finally:
        drop_roles(wh, role)


def test_grant_on_duckdb_says_to_open_the_file_read_only(duckdb_wh: Warehouse) -> None:
    run = grant_cli(duckdb_wh, "--target", "duckdb")
    assert run.returncode == 2
    message = " ".join(run.stderr.split())
    assert "DuckDB has no roles" in message and "read_only=True" in message


@pytest.mark.parametrize("name", ["Reader", "bi-reader", "x; drop table y"])
def test_role_names_are_plain_identifiers(name: str) -> None:
    """dbt writes grantees unquoted in grants and quoted in revokes: only names that read the same
    both ways are accepted."""
    from llm_analytics.grant import check_name
    from llm_analytics.project import UserError

    with pytest.raises(UserError, match="lower-case identifier"):
        check_name(name, "--role")
