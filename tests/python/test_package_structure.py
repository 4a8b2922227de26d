"""The package's shape, held by a test: imports one way, no borrowed private names, short functions.

Why a test and not a review note: an import loop or a reach into another module's `_private`
name creeps back one convenient lazy import at a time; parsing the source with `ast` catches it
on the commit that adds it. Nothing is imported, so the check is fast and needs no warehouse.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "llm_analytics"
ROOT = Path(__file__).resolve().parents[2] / "scripts" / PACKAGE
# Long enough for a command that validates, runs and prints; short enough that a function doing
# several steps has to be cut along them.
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(ROOT.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module an ImportFrom names (relative imports resolved against MODULE)."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(modules: dict[str, ast.Module]) -> dict[str, list[tuple[str, str, int]]]:
    """Per module: (imported module, imported name or '', line) for every import, lazy ones too."""
    packages = {m for m in modules if (ROOT.parent / m.replace(".", "/") / "__init__.py").exists()}
    out: dict[str, list[tuple[str, str, int]]] = {}
    for name, tree in modules.items():
        found: list[tuple[str, str, int]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(a.name, "", node.lineno) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(name, name in packages, node)
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    # `from . import state` imports the module state, not a name of the package
                    is_module = sub in modules
                    found.append((sub, "", node.lineno) if is_module else (target, alias.name, node.lineno))
        out[name] = [f for f in found if f[0] == PACKAGE or f[0].startswith(PACKAGE + ".")]
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, found in _imports(modules).items():
        graph[name] |= {target for target, _, _ in found if target in modules and target != name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import loop, each as the path that closes it (depth-first search, three colours)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_cycle_finder_finds_a_loop() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    """Lazy imports inside functions count: a loop hidden in a function is still a loop."""
    cycles = find_cycles(_graph())
    assert not cycles, "import loops: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_private_names_imported_across_modules() -> None:
    bad = [
        f"{module}:{line} imports {name} from {target}"
        for module, found in _imports(_modules()).items()
        for target, name, line in found
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not bad, "\n".join(bad)


def test_no_private_attribute_of_another_module() -> None:
    """`from . import loader; loader._select_cast(...)` is the same reach, spelled otherwise."""
    modules = _modules()
    imports = _imports(modules)
    bad = []
    for module, tree in modules.items():
        aliases = {t.rsplit(".", 1)[-1] for t, name, _ in imports[module] if not name and t in modules}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                bad.append(f"{module}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not bad, "\n".join(bad)


def test_functions_are_short() -> None:
    long = [
        f"{module}.{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
        for module, tree in _modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)
