"""Read-only access for BI tools on PostgreSQL: what `llm-analytics grant` does.

A dbt build already grants the BI reader role SELECT on each mart it writes (macros/grants.sql).
This command is the part a build cannot do, run once by whoever administers the database: grant
on the marts that exist now without a rebuild, set default privileges so tables the build user
creates later are readable the moment they exist (not only after dbt's grant step), and add a
login role for the BI tool that is a member of the reader role. Every statement is idempotent, so
it can be rerun, for instance to rotate the password.

The password comes from an environment variable, is hashed on this machine (libpq's
PQencryptPasswordConn, as psql's \\password does) and reaches the server only as a verifier (SCRAM,
or what the server's password_encryption names): never printed, never in a statement the server
may log, never in an error message.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from .project import Target, UserError
from .warehouse import postgres_connect

MARTS_SCHEMA = "marts"
DEFAULT_ROLE = "llm_analytics_reader"
# Plain lower-case names only: dbt writes grantees unquoted in its grant statements, so the role
# the build grants to must be the same name unquoted and quoted.
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class Granted:
    """What one run found and did, for the summary a person reads."""

    database: str
    build_user: str
    role: str
    role_created: bool
    relations: int
    login_role: str | None = None
    login_created: bool = False


def default_role() -> str:
    """The role the build grants to unless told otherwise: var bi_reader_role's default. The var is
    read by the marts' +grants in dbt_project.yml, which dbt renders before its vars block, so a
    build grants to another role only with --vars, and this command with --role (docs/bi.md)."""
    return DEFAULT_ROLE


def check_name(name: str, what: str) -> str:
    """NAME when it is a plain lower-case identifier; else a UserError naming the option."""
    if not _IDENTIFIER.fullmatch(name):
        raise UserError(f"{what} {name!r} must be a lower-case identifier (letters, digits, _)")
    return name


def duckdb_instead(target: Target) -> UserError:
    """The answer on DuckDB: no roles to grant to; read-only opening is its access control."""
    path = target.duckdb_path
    return UserError(
        f"DuckDB has no roles or grants, so there is nothing to grant on {path}: a BI tool or notebook "
        f"opens the file read-only instead (Python: duckdb.connect('{path}', read_only=True); "
        f"SQLAlchemy with duckdb-engine: duckdb:///{path} with connect_args={{'read_only': True}}). "
        "Only one process may write it, and none may while a reader holds it open: see docs/bi.md"
    )


def password_from_env(variable: str) -> str:
    """The login role's password, from the environment only (never an option: shells keep history)."""
    password = os.environ.get(variable, "")
    if not password:
        raise UserError(f"--login needs the password in the environment variable {variable} (set, not empty)")
    return password


@dataclass(frozen=True)
class Request:
    """What to grant: ROLE reads the marts that BUILD_USER (default: the user connecting) creates;
    with LOGIN_ROLE and PASSWORD, a login role that is a member of ROLE."""

    role: str
    login_role: str | None = None
    password: str | None = None
    build_user: str | None = None


def grant(target: Target, request: Request) -> Granted:
    """Create the role (NOLOGIN) when missing, let it read the marts now and later; with a login
    role, create it or reset its password, a member of the role. One transaction: all or nothing."""
    if target.type != "postgres":
        raise duckdb_instead(target)
    check_name(request.role, "--role")
    if request.build_user is not None:
        check_name(request.build_user, "--build-user")
    if request.login_role is not None:
        check_name(request.login_role, "--login-role")
        if request.login_role == request.role:
            raise UserError("--login-role must differ from --role: the login role is a member of it")
        if not request.password:
            raise UserError("a login role needs a password")
    import psycopg

    secrets = [request.password] if request.password else []
    with postgres_connect(target) as con:
        try:
            granted = _grant(con, request, secrets)
            con.commit()
            return granted
        except psycopg.Error as exc:
            con.rollback()
            message = _redact(target.redact(str(exc).strip()), secrets)
            raise UserError(f"cannot grant on PostgreSQL ({target.postgres_display()}): {message}") from None


def _redact(text: str, secrets: list[str]) -> str:
    """TEXT with the password and its verifier masked: an error must never carry them."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _role(cur: Any, name: str) -> tuple[bool, bool, bool] | None:
    """(superuser, may create roles or databases, may log in) of role NAME, or None when missing."""
    cur.execute(
        "select rolsuper, rolcreaterole or rolcreatedb, rolcanlogin"
        " from pg_catalog.pg_roles where rolname = %s",
        (name,),
    )
    row = cur.fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]), bool(row[2]))


def _grant(con: Any, request: Request, secrets: list[str]) -> Granted:
    from psycopg import sql

    role = request.role
    ident, schema = sql.Identifier(role), sql.Identifier(MARTS_SCHEMA)
    with con.cursor() as cur:
        cur.execute("select current_database(), current_user")
        database, connected = cur.fetchone()
        build_user = request.build_user or connected
        if _role(cur, build_user) is None:
            raise UserError(f"--build-user {build_user}: no such role")
        found = _role(cur, role)
        if found is not None and found[0]:
            raise UserError(f"role {role} is a superuser: a BI tool must read as a role that can only read")
        if found is None:
            cur.execute(sql.SQL("create role {} nologin").format(ident))
        cur.execute("select has_database_privilege(%s, current_database(), 'connect')", (role,))
        if not cur.fetchone()[0]:  # PUBLIC may connect unless a DBA revoked it
            cur.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), ident))
        # the build creates it too; here so access can be set up before the first build, owned by
        # the build user so its build can write there
        owner = sql.Identifier(build_user)
        cur.execute(sql.SQL("create schema if not exists {} authorization {}").format(schema, owner))
        cur.execute(sql.SQL("grant usage on schema {} to {}").format(schema, ident))
        cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(schema, ident))
        # tables and views the build user creates in marts from now on (dbt replaces a table by
        # creating a new one): readable as they appear
        defaults = "alter default privileges for role {} in schema {} grant select on tables to {}"
        cur.execute(sql.SQL(defaults).format(owner, schema, ident))
        cur.execute(
            "select count(*) from pg_catalog.pg_class c"
            " join pg_catalog.pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p')",
            (MARTS_SCHEMA,),
        )
        relations = int(cur.fetchone()[0])
        login_created = False
        if request.login_role is not None and request.password is not None:
            privileged = {connected, build_user}
            login_created = _login(con, cur, request, privileged, secrets)
            # tools that do not ask for a schema (Grafana's queries, a plain psql) find the marts
            path = sql.SQL("alter role {} in database {} set search_path = {}")
            cur.execute(path.format(sql.Identifier(request.login_role), sql.Identifier(database), schema))
    return Granted(database, build_user, role, found is None, relations, request.login_role, login_created)


def _login(con: Any, cur: Any, request: Request, privileged: set[str], secrets: list[str]) -> bool:
    """Create the login role or reset its password; make it a member of the reader role. True when
    created. Never the user connecting or building, nor a role with more than a login: its
    password would be reset."""
    from psycopg import sql

    login_role, password = str(request.login_role), str(request.password)
    found = _role(cur, login_role)
    if login_role in privileged or (found is not None and (found[0] or found[1])):
        raise UserError(
            f"role {login_role} exists with more than read access (the build user, a superuser, or one "
            "that creates roles or databases): choose another --login-role"
        )
    verifier = con.pgconn.encrypt_password(password.encode(), login_role.encode()).decode()
    secrets.append(verifier)
    statement = "create role {} login password {}" if found is None else "alter role {} login password {}"
    cur.execute(sql.SQL(statement).format(sql.Identifier(login_role), sql.Literal(verifier)))
    cur.execute(sql.SQL("grant {} to {}").format(sql.Identifier(request.role), sql.Identifier(login_role)))
    return found is None
