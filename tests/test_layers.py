"""The layering rule, checked on every module: a layer imports only the layers below it
(imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "afs"
RANKS = {
    "errors": 0, "jsonl": 0, "paths": 0, "config": 0, "neardup": 0, "workers": 0,
    "asm": 1,
    "knowledge": 2,
    "models": 3,
    "moe": 4, "benchmark": 4, "distillation": 4, "feedback": 4, "pretraining": 4,
    "training": 4,
    "cli": 5, "gateway": 5,
}
# `afs serve` is how the gateway starts: the one import across the top layer.
ALLOWED = {("cli", "gateway")}


def _unit(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "afs" else None


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_every_package_has_a_rank():
    units = {p.stem if p.is_file() else p.name for p in SRC.iterdir()
             if not p.name.startswith("_") and (p.suffix == ".py" or p.is_dir())}
    units.discard("data")
    assert units <= set(RANKS), f"give these a layer: {sorted(units - set(RANKS))}"


def test_no_module_imports_its_own_layer_or_above():
    violations = []
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        own = relative.parts[0].removesuffix(".py")
        if own not in RANKS:
            continue
        for line, module in _imports(path):
            target = _unit(module)
            if target is None or target == own or target not in RANKS \
                    or (own, target) in ALLOWED:
                continue
            if RANKS[target] >= RANKS[own] and not (RANKS[own] == 0 and RANKS[target] == 0):
                violations.append(f"{relative}:{line}: {own} (layer {RANKS[own]}) imports "
                                  f"{module} (layer {RANKS[target]})")
    assert not violations, "\n".join(violations)


# Known cycles, each being removed by the engineer who owns it; the coordinator deletes an
# entry when its fix is merged. Nothing may be added here.
KNOWN_CYCLES: set[frozenset[str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_graph() -> dict[str, set[str]]:
    """Module -> the afs modules it imports (at any depth, TYPE_CHECKING included)."""
    paths = {_module_name(p): p for p in SRC.rglob("*.py")}

    def owner(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets |= {owner(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in paths else owner(base))
        graph[name] = {t for t in targets if t and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]


def test_no_import_cycles_between_modules():
    cycles = [sorted(c) for c in _cycles(_module_graph()) if c not in KNOWN_CYCLES]
    assert not cycles, "import cycles (give the shared types their own module):\n" + \
        "\n".join(" <-> ".join(c) for c in cycles)
