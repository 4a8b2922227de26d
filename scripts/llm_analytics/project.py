"""Where the dbt project lives and how to reach its warehouse.

The CLI reuses the dbt profile (profiles.yml) rather than a second configuration, so a
user who points dbt at their Postgres has pointed every command at it too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

TARGETS = ("duckdb", "postgres")


class UserError(Exception):
    """An expected failure the user can fix: printed as one clear message, never as a traceback."""


def project_dir() -> Path:
    """The dbt project root: $LLM_ANALYTICS_PROJECT_DIR, else the nearest parent holding dbt_project.yml."""
    env = os.environ.get("LLM_ANALYTICS_PROJECT_DIR")
    if env:
        return Path(env).resolve()
    for candidate in [Path.cwd(), *Path.cwd().parents]:
        if (candidate / "dbt_project.yml").exists():
            return candidate
    here = Path(__file__).resolve()
    for candidate in here.parents:
        if (candidate / "dbt_project.yml").exists():
            return candidate
    raise UserError(
        "cannot find dbt_project.yml: run from the project folder or set LLM_ANALYTICS_PROJECT_DIR"
    )


def _env_var(name: str, default: str | None = None) -> str:
    if name in os.environ:
        return os.environ[name]
    if default is None:
        raise UserError(f"profiles.yml needs the environment variable {name}")
    return default


@dataclass(frozen=True)
class Target:
    """Connection settings for one output of the dbt profile."""

    name: str
    type: str
    settings: dict[str, Any]

    @property
    def duckdb_path(self) -> Path:
        path = Path(str(self.settings["path"]))
        return path if path.is_absolute() else Path.cwd() / path

    def postgres_conninfo(self) -> str:
        s = self.settings
        parts = {
            "host": s.get("host"),
            "port": s.get("port"),
            "user": s.get("user"),
            "dbname": s.get("dbname") or s.get("database"),
        }
        if s.get("password"):
            parts["password"] = s["password"]
        return " ".join(f"{k}={v}" for k, v in parts.items() if v not in (None, ""))

    def postgres_display(self) -> str:
        """The connection settings to show a person: never the password (messages end up in logs)."""
        shown = self.postgres_conninfo()
        if self.settings.get("password"):
            shown = shown.replace(f"password={self.settings['password']}", "password=***")
        return shown

    def redact(self, text: str) -> str:
        """TEXT with the target's password masked, for a driver's error that may quote its settings."""
        secret = str(self.settings.get("password") or "")
        if not secret:
            return text
        from urllib.parse import quote

        for form in {secret, quote(secret, safe=""), quote(secret)}:
            text = text.replace(form, "***")
        return text


def load_target(name: str) -> Target:
    """Render profiles.yml the way dbt does (env_var) and return the named output."""
    if name not in TARGETS:
        raise UserError(f"unknown target {name!r}: choose one of {', '.join(TARGETS)}")
    profiles_dir = Path(os.environ.get("DBT_PROFILES_DIR", project_dir()))
    path = profiles_dir / "profiles.yml"
    if not path.exists():
        raise UserError(f"{path} not found (set DBT_PROFILES_DIR to the folder holding profiles.yml)")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals["env_var"] = _env_var
    rendered = env.from_string(path.read_text()).render()
    profile = yaml.safe_load(rendered)["llm_analytics"]
    outputs = profile["outputs"]
    if name not in outputs:
        raise UserError(f"{path} has no output named {name!r}")
    settings = outputs[name]
    return Target(name=name, type=settings["type"], settings=settings)


def dbt_env(target: str) -> dict[str, str]:
    """Environment for a dbt subprocess: the project's profile and the chosen target."""
    env = dict(os.environ)
    env.setdefault("DBT_PROFILES_DIR", str(project_dir()))
    env["DBT_TARGET"] = target
    return env
