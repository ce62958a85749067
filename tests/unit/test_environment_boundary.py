"""The two environments' boundary, checked over the import graph (tests/import_graph.py).

- **engine** modules run inside the Rasa server (Rasa 3.6, spaCy 3.4, SQLAlchemy 1.4): they may
  import what engine.lock installs (never our SQLAlchemy 2 case store or rasa-sdk actions) and
  our shared modules.
- **shared** modules run in both: the standard library and PyYAML only.
- **app** modules (everything else, actions included) may import what app.lock installs, and
  never Rasa itself, spaCy, TensorFlow or an engine module.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.import_graph import ROOT, all_modules, closure, imports_of, own, third_party

#: Runs inside the Rasa server (or loads a Rasa model): the engine environment.
ENGINE = ("bot.engine",)
#: Plain Python that both environments import.
SHARED = ("bot.settings", "bot.turn_ids", "bot.ops.training", "bot.knowledge", "bot.safeguarding", "bot.evaluation.loadstats",
          "bot.evaluation.leaks", "bot.evaluation.nlu_leaks")
#: Package __init__ files both environments run (not everything below them).
SHARED_INITS = ("bot", "bot.evaluation", "bot.ops")
SHARED_PACKAGES = {"yaml"}
#: Import names that differ from the distribution's name in a lock file.
IMPORT_NAMES = {"pyyaml": "yaml", "scikit-learn": "sklearn", "pyjwt": "jwt", "python-dateutil": "dateutil",
                "psycopg-binary": "psycopg", "beautifulsoup4": "bs4", "protobuf": "google",
                "typing-extensions": "typing_extensions", "pytest-asyncio": "pytest_asyncio"}
#: In engine.lock only as Rasa's own dependencies: our engine code must not use them.
NOT_FOR_ENGINE_CODE = {"sqlalchemy", "rasa_sdk", "alembic", "jwt"}


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def zone(module: str) -> str:
    """engine, shared or app."""
    if _under(module, ENGINE):
        return "engine"
    if module in SHARED_INITS or _under(module, SHARED):
        return "shared"
    return "app"


def lock_imports(lock: str) -> set[str]:
    names = set()
    for line in (ROOT / "requirements" / lock).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==", line.strip())
        if match:
            dist = match.group(1).lower()
            names.add(IMPORT_NAMES.get(dist, dist.replace("-", "_").replace(".", "_")))
    return names


def _third_party_of(module: str) -> set[str]:
    return {tp for name in imports_of(module) if (tp := third_party(name)) and own(name) is None}


def violations(module: str, engine_ok: set[str], app_ok: set[str]) -> list[str]:
    """Why one module breaks the boundary (empty when it keeps to its environment)."""
    kind = zone(module)
    problems = []
    for target in sorted(closure(module) - {module}):
        target_zone = zone(target)
        if kind == "shared" and target_zone != "shared":
            problems.append(f"shared {module} reaches {target_zone} {target}")
        elif kind == "engine" and target_zone == "app":
            problems.append(f"engine {module} reaches app {target}")
        elif kind == "app" and target_zone == "engine":
            problems.append(f"app {module} reaches engine {target}")
    allowed = {"shared": SHARED_PACKAGES, "engine": engine_ok, "app": app_ok}[kind]
    for package in sorted(_third_party_of(module) - allowed):
        problems.append(f"{kind} {module} imports {package}, which its environment does not provide")
    return problems


@pytest.fixture(scope="module")
def allowed() -> tuple[set[str], set[str]]:
    return lock_imports("engine.lock") - NOT_FOR_ENGINE_CODE, lock_imports("app.lock")


def test_every_module_keeps_to_its_environment(allowed):
    engine_ok, app_ok = allowed
    problems = [p for module in all_modules() for p in violations(module, engine_ok, app_ok)]
    assert problems == []


def test_every_zone_is_populated_and_the_declared_modules_exist():
    zones = {zone(m) for m in all_modules()}
    assert zones == {"engine", "shared", "app"}
    for prefix in ENGINE + SHARED + SHARED_INITS:
        assert any(_under(m, (prefix,)) for m in all_modules()), prefix


def test_a_forbidden_import_is_caught(allowed, monkeypatch, tmp_path):
    """The check can fail: an app module importing Rasa, and a shared one importing SQLAlchemy."""
    import tests.import_graph as graph

    engine_ok, app_ok = allowed
    real = dict(graph.all_modules())
    (tmp_path / "app_bad.py").write_text("def f():\n    from rasa.core.agent import Agent\n")
    (tmp_path / "shared_bad.py").write_text("import sqlalchemy\nfrom bot.gateway import app\n")
    fake = {**real, "bot.gateway.bad": tmp_path / "app_bad.py", "bot.safeguarding.bad": tmp_path / "shared_bad.py"}
    monkeypatch.setattr(graph, "all_modules", lambda: fake)
    graph.imports_of.cache_clear()
    try:
        assert any("imports rasa" in p for p in violations("bot.gateway.bad", engine_ok, app_ok))
        shared = violations("bot.safeguarding.bad", engine_ok, app_ok)
        assert any("imports sqlalchemy" in p for p in shared)
        assert any("reaches app bot.gateway" in p for p in shared)
    finally:
        graph.imports_of.cache_clear()
