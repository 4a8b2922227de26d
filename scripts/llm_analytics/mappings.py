"""Mapping files: events loaded as a team's SDK emits them, projected onto the raw contract.

A mapping (`llm-analytics load --mapping FILE.yml`) says, per raw table, where each contract column
comes from: a field of the file (renamed, optionally converted or recoded), a constant, or one of a
small set of derived expressions. It becomes a SQL projection that DuckDB runs over the file, and
everything after it (the contract's type checks, the quality gates, refusals with file, row and
column, the one transaction, the manifest) is the loader's usual path. No mapping holds SQL: every
expression is built here from names, so a mapping file cannot run arbitrary code. Format:
docs/loading.md#mapping-files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .contract import Table
from .project import UserError
from .raw_files import ContractError, quote_ident, sql_literal

# A field's text as DuckDB reads it (every JSONL and CSV field is read as text; Parquet keeps types).
_TEXT = "cast({f} as varchar)"
_NUMBER = "try_cast({f} as double)"

# Unit conversions: SQL over one field giving the contract's value as text, null when the value is
# not a number (the value's own text is then kept, so the contract check refuses it by row).
CONVERSIONS: dict[str, str] = {
    "epoch_ms": f"cast(make_timestamp(cast(round({_NUMBER} * 1000) as bigint)) as varchar)",
    "epoch_s": f"cast(make_timestamp(cast(round({_NUMBER} * 1000000) as bigint)) as varchar)",
    "s_to_ms": f"cast({_NUMBER} * 1000 as varchar)",
    "cents_to_usd": f"cast({_NUMBER} / 100 as varchar)",
}
DERIVED = ("diff_ms", "coalesce")  # diff_ms: [later, earlier] timestamps; coalesce: [a, b, ...]
SPEC_KEYS = {"field", "convert", "values", "other", "const", *DERIVED}
KINDS = ("field", "const", *DERIVED)


def _literal(value: Any) -> str:
    """A constant of a mapping as SQL text (the contract check casts it to the column's type)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return sql_literal("true" if value else "false")
    return sql_literal(str(value))


@dataclass(frozen=True)
class Source:
    """One way to fill a contract column: a field (with an optional conversion or recoding), a
    constant, or a derived expression over fields."""

    kind: str  # field, const, diff_ms, coalesce
    fields: tuple[str, ...] = ()
    convert: str | None = None
    values: tuple[tuple[str, Any], ...] | None = None  # recoding of a field's text values
    other: Any = ...  # what an unlisted value becomes (`...`: itself)
    const: Any = None

    def describe(self) -> str:
        """Where the value comes from, as a refusal names it: `field timestamp (epoch_ms)`."""
        if self.kind == "const":
            return "a constant"
        if self.kind != "field":
            return f"{self.kind} of field(s) {', '.join(self.fields)}"
        how = f" ({self.convert})" if self.convert else " (recoded)" if self.values is not None else ""
        return f"field {self.fields[0]}{how}"

    def sql(self) -> str:
        """The column's value as SQL over the file's fields."""
        if self.kind == "const":
            return _literal(self.const)
        refs = [quote_ident(f) for f in self.fields]
        if self.kind == "coalesce":  # the first non-blank field, as text
            return "coalesce(" + ", ".join(f"nullif(trim({_text(r)}), '')" for r in refs) + ")"
        if self.kind == "diff_ms":
            return _diff_ms_sql(refs[0], refs[1])
        ref = refs[0]
        if self.convert:
            return f"coalesce({CONVERSIONS[self.convert].format(f=ref)}, {_text(ref)})"
        if self.values is not None:
            whens = " ".join(f"when {sql_literal(k)} then {_literal(v)}" for k, v in self.values)
            other = _text(ref) if self.other is ... else _literal(self.other)
            return f"case lower(trim({_text(ref)})) {whens} else {other} end"
        return ref


def _text(ref: str) -> str:
    return _TEXT.format(f=ref)


def _diff_ms_sql(later: str, earlier: str) -> str:
    """Milliseconds from EARLIER to LATER (timestamps, an offset converted); null when either is null,
    and the text of one that is no timestamp otherwise (so the contract check refuses its row)."""
    late, early = (f"try_cast({r} as timestamptz)" for r in (later, earlier))
    diff = f"cast((epoch_us({late}) - epoch_us({early})) / 1000.0 as varchar)"
    bad = f"case when {late} is null then {_text(later)} else {_text(earlier)} end"
    return f"case when {later} is not null and {earlier} is not null then coalesce({diff}, {bad}) end"


@dataclass(frozen=True)
class ColumnMapping:
    """A contract column and its sources: the first whose fields the file has is used."""

    column: str
    choices: tuple[Source, ...]

    def choose(self, fields: set[str]) -> Source | None:
        return next((s for s in self.choices if set(s.fields) <= fields), None)

    def wanted(self) -> str:
        return " or ".join("+".join(s.fields) for s in self.choices if s.fields)


@dataclass(frozen=True)
class TableMapping:
    """How one raw table is read from a file through a mapping file."""

    path: Path
    table: Table
    columns: tuple[ColumnMapping, ...]

    def projection(self, where: str, fields: list[str]) -> tuple[str, dict[str, str], list[str]]:
        """The select list that turns the file's FIELDS into contract columns, those columns (each
        with where it comes from, for refusals), and notes for the user. A required column's field
        must be in the file (else the file is refused, naming the mapping, the table and the field);
        an optional column's may be missing: the column is loaded as null, as an optional column a
        file lacks, and a note says so."""
        have = set(fields)
        required = set(self.table.required_names)
        exprs, columns, notes = [], {}, []
        for cm in self.columns:
            source = cm.choose(have)
            if source is not None:
                exprs.append(f"{source.sql()} as {quote_ident(cm.column)}")
                columns[cm.column] = f"from {source.describe()} by mapping {self.path.name}"
                continue
            if cm.column in required:
                raise ContractError(
                    f"{where}: mapping {self.path} maps required column {self.table.name}.{cm.column} "
                    f"from field {cm.wanted()}, which the file does not have. "
                    f"Fields found: {', '.join(fields)}"
                )
            notes.append(f"mapping {self.path.name}: no field {cm.wanted()} for {cm.column}; loaded as null")
        return ", ".join(exprs), columns, notes


@dataclass(frozen=True)
class Mapping:
    path: Path
    tables: dict[str, TableMapping]

    def table_for(self, name: str, known: dict[str, Table]) -> str:
        """The raw table of a file named for NAME: NAME itself, or the mapping's only table when
        NAME is no raw table (a file named for its event, `ai_interaction-2026-10-01.jsonl`)."""
        if name not in known and len(self.tables) == 1:
            return next(iter(self.tables))
        return name


def read_mapping(path: Path, known: dict[str, Table]) -> Mapping:
    """Read and check a mapping file: every table, column, conversion and expression it names."""
    if not path.is_file():
        raise UserError(f"{path}: no such mapping file")
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if (
        not isinstance(doc, dict)
        or set(doc) - {"tables", "description"}
        or not isinstance(doc.get("tables"), dict)
    ):
        raise UserError(f"{path}: a mapping file holds `tables:` (raw table -> contract column -> source)")
    tables = {}
    for name, columns in doc["tables"].items():
        if name not in known:
            raise UserError(f"{path}: no raw table named {name!r} (known: {', '.join(sorted(known))})")
        tables[name] = _read_table(path, known[name], columns)
    if not tables:
        raise UserError(f"{path}: the mapping names no table")
    return Mapping(path, tables)


def _read_table(path: Path, table: Table, columns: Any) -> TableMapping:
    where = f"{path}: table {table.name}"
    if not isinstance(columns, dict) or not columns:
        raise UserError(f"{where}: expected contract column -> source")
    mapped = []
    for column, spec in columns.items():
        if column not in table.column_names:
            raise UserError(
                f"{where}: {column!r} is not a column of the contract "
                f"(known: {', '.join(table.column_names)})"
            )
        choices = spec if isinstance(spec, list) else [spec]
        if not choices:
            raise UserError(f"{where}, column {column}: an empty list of sources")
        sources = tuple(_read_source(f"{where}, column {column}", c) for c in choices)
        mapped.append(ColumnMapping(column, sources))
    missing = [c for c in table.required_names if c not in columns]
    if missing:
        raise UserError(f"{where}: required column(s) {', '.join(missing)} not mapped")
    return TableMapping(path, table, tuple(mapped))


def _read_source(where: str, spec: Any) -> Source:
    """One source of a column: `field`, or {field, convert | values [, other]}, {const}, {diff_ms},
    {coalesce}."""
    if isinstance(spec, str):
        return Source("field", (spec,))
    if not isinstance(spec, dict):
        raise UserError(f"{where}: a source is a field name or a mapping with one of {', '.join(KINDS)}")
    unknown = set(spec) - SPEC_KEYS
    kinds = [k for k in KINDS if k in spec]
    if unknown or len(kinds) != 1:
        bad = f"unknown key(s) {', '.join(sorted(unknown))}" if unknown else "needs exactly one"
        raise UserError(f"{where}: {bad} of {', '.join(KINDS)}")
    kind = kinds[0]
    if kind != "field" and set(spec) & {"convert", "values", "other"}:
        raise UserError(f"{where}: convert, values and other apply to a `field` only")
    if kind == "const":
        return Source("const", const=spec["const"])
    if kind in DERIVED:
        return Source(kind, _field_list(where, kind, spec[kind]))
    return _field_source(where, spec)


def _field_list(where: str, kind: str, fields: Any) -> tuple[str, ...]:
    size_ok = len(fields) == 2 if kind == "diff_ms" else len(fields) >= 1
    if not isinstance(fields, list) or not size_ok or not all(isinstance(f, str) for f in fields):
        shape = "[later, earlier] (two timestamp fields)" if kind == "diff_ms" else "a list of field names"
        raise UserError(f"{where}: {kind} takes {shape}")
    return tuple(fields)


def _field_source(where: str, spec: dict[str, Any]) -> Source:
    field = spec["field"]
    if not isinstance(field, str):
        raise UserError(f"{where}: field must be a field name")
    convert = spec.get("convert")
    if convert is not None and convert not in CONVERSIONS:
        raise UserError(f"{where}: unknown conversion {convert!r} (known: {', '.join(CONVERSIONS)})")
    values = spec.get("values")
    if values is not None and (convert is not None or not isinstance(values, dict)):
        raise UserError(f"{where}: values is a mapping of the field's values, without convert")
    if "other" in spec and values is None:
        raise UserError(f"{where}: other applies with values only")
    recoded = None if values is None else tuple((_text_key(k), v) for k, v in values.items())
    return Source("field", (field,), convert, recoded, spec.get("other", ...))


def _text_key(key: Any) -> str:
    """A recoded value as the field's text: YAML reads `true:` as a boolean, DuckDB writes 'true'."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return "" if key is None else str(key).strip().lower()
