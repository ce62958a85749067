"""The import graph of CareChat's own code, read with ``ast`` (nothing is imported or run).

Why: the engine (Rasa 3.6, SQLAlchemy 1.4, old aiohttp) and the app (rasa-sdk, SQLAlchemy 2,
current aiohttp) are separate environments, and one careless import breaks one of them. The
boundary tests walk this graph, lazy imports inside functions included.
"""
from __future__ import annotations

import ast
import sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "actions")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@lru_cache(maxsize=None)
def all_modules() -> dict[str, Path]:
    """Every module of our own packages, by dotted name."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # Alembic runs these itself, in the app environment
            modules[module_name(path)] = path
    return modules


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


@lru_cache(maxsize=None)
def imports_of(module: str) -> frozenset[str]:
    """Every module name one module imports (absolute; "from x import y" gives x and x.y)."""
    path = all_modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node, path.name == "__init__.py")
            if base == "__future__":
                continue
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(found)


def own(name: str) -> str | None:
    """The longest of our modules that ``name`` is or lies inside, or None for a third party."""
    modules = all_modules()
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def third_party(name: str) -> str | None:
    """The top-level distribution import name of a non-stdlib, non-own import, else None."""
    top = name.split(".")[0]
    if top in PACKAGES or top in sys.stdlib_module_names or top == "tests":
        return None
    return top


def closure(start: str) -> set[str]:
    """Our modules reachable from ``start`` through imports (``start`` included)."""
    seen, todo = set(), [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for name in imports_of(module):
            target = own(name)
            if target and target not in seen:
                todo.append(target)
                # importing a package runs its __init__ and each parent package's
                parts = target.split(".")
                todo += [".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in all_modules()]
    return seen
