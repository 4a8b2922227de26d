"""The project holds itself to dbt-project-evaluator's rules, written as local tests because the
package hub is unreachable: documentation and primary-key coverage, layering (marts never read
sources, intermediate models never read marts), naming by folder, and the catalogue pages that
would otherwise drift (the docs overview, the macros yml, the vars in docs/configuration.md).

They read the manifest of one `dbt parse`, so they need no warehouse and run in seconds."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import BIN, ROOT

# The folder a model lives in decides its prefix ("prefixes match folders"); mart_ is allowed for
# aggregates beside fct_ and dim_.
PREFIXES = {
    "staging": ("stg_",),
    "intermediate": ("int_",),
    "marts": ("fct_", "dim_", "mart_"),
    "partials": ("partial_",),
}
# Models with no primary key, and why (dbt-project-evaluator keeps such exceptions in a seed).
NO_PRIMARY_KEY = {
    "int_rejected_rows": "a log of rejected rows: a row rejected for a missing id has no key",
}
# Macros that are an engine's implementation of a dispatched macro are documented with it.
ENGINE_PREFIXES = ("default__", "duckdb__", "postgres__", "spark__")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("parse")
    env = dict(os.environ)
    env.update(
        DBT_PROFILES_DIR=str(ROOT),
        DBT_TARGET_PATH=str(target),
        DBT_LOG_PATH=str(target / "logs"),
        DUCKDB_PATH=str(target / "parse.duckdb"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    proc = subprocess.run(
        [str(BIN / "dbt"), "parse", "--target", "duckdb"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return json.loads((target / "manifest.json").read_text())


def models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        n["name"]: n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["package_name"] == "llm_analytics"
    }


def layer(node: dict[str, Any]) -> str:
    """staging, intermediate, marts, or partials (all-time building blocks beside a mart)."""
    parts = Path(node["original_file_path"]).parts
    return "partials" if "partials" in parts else parts[1]


def test_every_model_and_column_is_documented(manifest: dict[str, Any]) -> None:
    missing = []
    for name, node in models(manifest).items():
        if not node["description"].strip():
            missing.append(f"{name}: no description")
        if not node["columns"]:
            missing.append(f"{name}: no columns in its yml")
        missing += [
            f"{name}.{c}: no description"
            for c, col in node["columns"].items()
            if not col["description"].strip()
        ]
    assert not missing, "\n".join(missing)


def test_every_model_has_a_primary_key_test(manifest: dict[str, Any]) -> None:
    """unique + not_null on one column, or a unique-combination test (dbt-project-evaluator's
    primary-key rule)."""
    tests: dict[str, list[dict[str, Any]]] = {}
    for n in manifest["nodes"].values():
        if n["resource_type"] == "test" and n.get("attached_node") and n.get("test_metadata"):
            tests.setdefault(n["attached_node"], []).append(n)
    without = []
    for name, node in models(manifest).items():
        if name in NO_PRIMARY_KEY:
            continue
        found = tests.get(node["unique_id"], [])
        unique = {
            t["column_name"] for t in found if t["test_metadata"]["name"] == "unique" and t["column_name"]
        }
        not_null = {t["column_name"] for t in found if t["test_metadata"]["name"] == "not_null"}
        combination = any(t["test_metadata"]["name"] == "unique_combination_of_columns" for t in found)
        if not (unique & not_null or combination):
            without.append(name)
    assert not without, f"models without a primary-key test: {without}"


def test_marts_never_read_sources(manifest: dict[str, Any]) -> None:
    bad = [
        f"{name} reads {dep}"
        for name, node in models(manifest).items()
        if layer(node) in ("marts", "partials")
        for dep in node["depends_on"]["nodes"]
        if dep.startswith("source.")
    ]
    assert not bad, bad


def test_only_staging_reads_sources(manifest: dict[str, Any]) -> None:
    bad = [
        f"{name} reads {dep}"
        for name, node in models(manifest).items()
        if layer(node) != "staging"
        for dep in node["depends_on"]["nodes"]
        if dep.startswith("source.")
    ]
    assert not bad, bad


def test_no_intermediate_or_staging_model_reads_a_mart(manifest: dict[str, Any]) -> None:
    by_id = {n["unique_id"]: n for n in models(manifest).values()}
    bad = [
        f"{name} ({layer(node)}) reads {by_id[dep]['name']}"
        for name, node in models(manifest).items()
        if layer(node) in ("staging", "intermediate")
        for dep in node["depends_on"]["nodes"]
        if dep in by_id and layer(by_id[dep]) in ("marts", "partials")
    ]
    assert not bad, bad


def test_prefixes_match_folders(manifest: dict[str, Any]) -> None:
    bad = [
        f"{node['original_file_path']}: expected {PREFIXES[layer(node)]}"
        for name, node in models(manifest).items()
        if not name.startswith(PREFIXES[layer(node)])
    ]
    assert not bad, bad


def test_marts_have_enforced_contracts(manifest: dict[str, Any]) -> None:
    bad = [
        name
        for name, node in models(manifest).items()
        if layer(node) == "marts" and not node["config"]["contract"]["enforced"]
    ]
    assert not bad, f"marts without contract: {{enforced: true}}: {bad}"


def test_one_yml_per_folder(manifest: dict[str, Any]) -> None:
    """A model's yml sits in its own folder, and a folder has one models yml."""
    by_folder: dict[Path, set[str]] = {}
    for node in models(manifest).values():
        sql, yml = Path(node["original_file_path"]), Path(node["patch_path"].split("://", 1)[1])
        assert sql.parent == yml.parent, f"{sql} is described in {yml}"
        by_folder.setdefault(yml.parent, set()).add(yml.name)
    assert all(len(v) == 1 for v in by_folder.values()), by_folder


def test_every_mart_is_in_the_docs_overview(manifest: dict[str, Any]) -> None:
    overview = (ROOT / "models/docs/overview.md").read_text()
    missing = [
        n for n, node in models(manifest).items() if layer(node) == "marts" and f"[{n}]" not in overview
    ]
    assert not missing, f"add to models/docs/overview.md: {missing}"


def test_every_macro_is_documented(manifest: dict[str, Any]) -> None:
    missing = []
    for m in manifest["macros"].values():
        if m["package_name"] != "llm_analytics" or m["name"].startswith(ENGINE_PREFIXES):
            continue
        if m["name"].startswith("test_"):  # generic tests: documented in their file
            continue
        if not m["description"].strip():
            missing.append(m["name"])
        documented = {a["name"] for a in m["arguments"]}
        signature = re.search(r"macro\s+\w+\((.*?)\)", m["macro_sql"], re.S)
        args = (
            [a.split("=")[0].strip() for a in signature.group(1).split(",") if a.strip()] if signature else []
        )
        missing += [f"{m['name']}({a})" for a in args if a not in documented]
    assert not missing, f"document in macros/_macros.yml: {missing}"


def test_every_var_is_documented_with_its_default() -> None:
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    config = (ROOT / "docs/configuration.md").read_text()
    missing = [v for v in project["vars"] if f"`{v}`" not in config]
    assert not missing, f"document in docs/configuration.md: {missing}"


def test_no_hand_built_keys() -> None:
    """Row keys come from the surrogate_key macro, never a hand-written concat of '|'."""
    bad = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "models").rglob("*.sql")
        if re.search(r"""concat\(\[[^\]]*"'\|'\"""", p.read_text())
    ]
    assert not bad, bad


def test_every_mart_boolean_is_tested_not_null(manifest: dict[str, Any]) -> None:
    """A NULL boolean reads as neither true nor false (`where not has_x` returns nothing), so no
    mart boolean may be NULL, and each one carries a not_null test that says so."""
    tested = {
        (n["attached_node"], n["column_name"])
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test" and (n.get("test_metadata") or {}).get("name") == "not_null"
    }
    missing = [
        f"{name}.{column}"
        for name, node in models(manifest).items()
        if layer(node) == "marts"
        for column, spec in node["columns"].items()
        if (spec.get("data_type") or "").lower() == "boolean" and (node["unique_id"], column) not in tested
    ]
    assert not missing, f"add a not_null test: {missing}"


# What a column of a model, source or seed may say (dbt's column properties).
COLUMN_KEYS = {
    "name",
    "description",
    "data_type",
    "data_tests",
    "tests",
    "meta",
    "config",
    "constraints",
    "quote",
    "tags",
    "granularity",
}


def test_column_entries_hold_only_column_properties() -> None:
    """A description broken at a comma by a YAML rewrite reads as a property (`including cached
    tokens.: null`) that dbt ignores, and the description is silently cut short."""
    bad = []
    for path in sorted((ROOT / "models").rglob("*.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for section in ("models", "sources", "seeds"):
            for entry in doc.get(section) or []:
                for holder in [entry, *(entry.get("tables") or [])]:
                    for col in holder.get("columns") or []:
                        extra = set(col) - COLUMN_KEYS
                        if extra:
                            where = f"{path.relative_to(ROOT)}: {holder.get('name')}.{col.get('name')}"
                            bad.append(f"{where}: {sorted(extra)}")
    assert not bad, "\n".join(bad)


def test_request_columns_are_the_staged_call_columns(manifest: dict[str, Any]) -> None:
    """int_llm_requests unites every source of calls over the list of macro request_columns (a
    static list, so a first build needs no introspection): it must name stg_llm__requests'
    columns, in order, or a column added there would be dropped from the facts unnoticed."""
    macros = (ROOT / "macros/sql_helpers.sql").read_text()
    body = macros[macros.index("{% macro request_columns()") :]
    listed = re.findall(r"'(\w+)'", body[: body.index("{%- endmacro %}")])
    assert listed == list(models(manifest)["stg_llm__requests"]["columns"])


# mart names as the dashboard pages and the alert scripts write them in their SQL
_MART_NAME = re.compile(r"\b(?:mart|fct|dim)_[a-z0-9_]+\b")


def _marts_named(module: str) -> set[str]:
    """Every mart name in MODULE's source (a package: all its files)."""
    path = ROOT / "scripts" / Path(*module.split("."))
    files = sorted(path.glob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    return {name for f in files for name in _MART_NAME.findall(f.read_text())}


def test_exposures_depend_on_the_marts_their_code_reads(manifest: dict[str, Any]) -> None:
    """Each exposure (models/exposures.yml: a dashboard page or the alert scripts) depends on exactly
    the marts its module names, so dbt docs shows who reads what. A dashboard page also reads the
    sidebar's marts (dashboard/app.py). A name that is no model must be one of the page's
    OPTIONAL_MARTS (a mart another branch adds: the page shows it once it exists)."""
    import importlib

    marts = {name for name, node in models(manifest).items() if layer(node) == "marts"}
    sidebar = _marts_named("llm_analytics.dashboard.app")
    exposures = {e["name"]: e for e in manifest["exposures"].values() if e["package_name"] == "llm_analytics"}
    pages = sorted((ROOT / "scripts/llm_analytics/dashboard").glob("*.py"))
    modules = {e["config"]["meta"]["module"] for e in exposures.values()}
    page_modules = {
        f"llm_analytics.dashboard.{p.stem}"
        for p in pages
        if "TITLE = " in p.read_text()  # a page module declares its title
    }
    assert page_modules <= modules, f"pages without an exposure: {sorted(page_modules - modules)}"
    assert "llm_analytics.alerts" in modules
    for name, exposure in exposures.items():
        module = exposure["config"]["meta"]["module"]
        named = _marts_named(module) | (sidebar if exposure["type"] == "dashboard" else set())
        unknown = named - marts
        if module != "llm_analytics.alerts":
            declared = importlib.import_module(module)
            optional = set(getattr(declared, "OPTIONAL_MARTS", ()))
            assert unknown <= optional, f"{module} names {sorted(unknown - optional)}: no such mart"
            assert set(declared.MARTS) | optional == _marts_named(module), f"{module}: MARTS is stale"
        else:
            assert not unknown, f"{module} names {sorted(unknown)}: no such mart"
        depends = {n.split(".")[-1] for n in exposure["depends_on"]["nodes"]}
        assert depends == named & marts, (
            f"exposure {name}: add {sorted(named & marts - depends)}, remove {sorted(depends - named)}"
        )
