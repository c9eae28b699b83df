"""The layering rule, checked on every module: a layer imports only the layers below it
(imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "afs"
RANKS = {
    "errors": 0, "jsonl": 0, "paths": 0, "config": 0, "workers": 0,
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
