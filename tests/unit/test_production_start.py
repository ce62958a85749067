"""The production start (``python -m bot serve``) refuses every unsafe setting, all at once.

No server is started here: the checks are called directly, and the CLI runs with the stack's
``run_forever`` replaced, so the test sees exactly what would have been started.
"""
from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from bot.ops import cli
from bot.ops.production_checks import (
    case_store_problem,
    content_problem,
    council_problem,
    known_councils,
    production_problems,
)
from bot.ops.stack import build_services, runtime_endpoints, service_env
from bot.personal.casestore.db import session_factory
from bot.personal.casestore.demo import load_demo, require_local_demo_store
from bot.personal.casestore.migrate import upgrade_to_head
from bot.settings import DEVELOPMENT_TOKEN_SECRET, PROJECT_ROOT, ConfigurationError, Settings, load_settings

SAFE_SECRET = "k7Qp2vX9mZ4rT8wN1bY6cH3jL5sD0fGa"  # 32 bytes: the shortest accepted
NO_CONTENT_PROBLEMS = lambda: []  # noqa: E731 - the real content check has its own test below


def safe_env(var_dir: Path) -> dict[str, str]:
    return {
        "CARECHAT_VAR_DIR": str(var_dir),
        "CASE_STORE_URL": f"sqlite:///{var_dir / 'casestore.sqlite'}",
        "CARECHAT_TOKEN_SECRET": SAFE_SECRET,
        "CARECHAT_COUNCIL": "calderdale",
        "CARECHAT_DEMO_MODE": "false",
    }


@pytest.fixture
def safe(tmp_path: Path) -> Settings:
    """Production-safe settings: a migrated case store with no demo people in it."""
    settings = load_settings(safe_env(tmp_path))
    upgrade_to_head(settings.case_store_url)
    return settings


def only_problem(settings: Settings) -> str:
    problems = production_problems(settings, content_check=NO_CONTENT_PROBLEMS)
    assert len(problems) == 1, problems
    return problems[0]


# ---- the checks, one unsafe setting at a time --------------------------------------------

def test_safe_settings_pass_every_check_with_the_real_content(safe: Settings) -> None:
    assert production_problems(safe) == []


def test_demo_mode_is_refused(safe: Settings) -> None:
    problem = only_problem(dataclasses.replace(safe, demo_mode=True))
    assert problem.startswith("CARECHAT_DEMO_MODE is on")
    assert "CARECHAT_DEMO_MODE=false" in problem


def test_development_secret_is_refused_even_in_demo_mode(safe: Settings) -> None:
    problems = production_problems(dataclasses.replace(safe, token_secret=DEVELOPMENT_TOKEN_SECRET, demo_mode=True),
                                   content_check=NO_CONTENT_PROBLEMS)
    assert len(problems) == 2
    assert problems[1].startswith("CARECHAT_TOKEN_SECRET is not set")
    assert "at least 32 bytes" in problems[1]
    assert "CARECHAT_DEMO_MODE=true" not in problems[1]  # never suggest demo mode on the production path


@pytest.mark.parametrize("secret", ["x", SAFE_SECRET[:-1]])
def test_short_secret_is_refused(safe: Settings, secret: str) -> None:
    problem = only_problem(dataclasses.replace(safe, token_secret=secret))
    assert problem.startswith("CARECHAT_TOKEN_SECRET is too short")
    assert "at least 32 bytes" in problem


def test_secret_length_counts_bytes(safe: Settings) -> None:
    assert production_problems(dataclasses.replace(safe, token_secret="é" * 16),
                               content_check=NO_CONTENT_PROBLEMS) == []


def test_case_store_with_demo_people_is_refused(safe: Settings) -> None:
    load_demo(session_factory(safe.case_store_url), date(2026, 11, 23))
    problem = only_problem(safe)
    assert problem.startswith("The case store holds")
    assert "CASE_STORE_URL" in problem


def test_missing_case_store_is_refused_without_creating_it(tmp_path: Path) -> None:
    settings = load_settings(safe_env(tmp_path / "nothing-here"))
    problem = case_store_problem(settings)
    assert problem is not None and "python -m bot db upgrade" in problem
    assert not (tmp_path / "nothing-here").exists()


def test_unmigrated_case_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "casestore.sqlite").write_bytes(b"")
    problem = case_store_problem(load_settings(safe_env(tmp_path)))
    assert problem is not None and problem.startswith("Could not check the case store for demo people")


def test_unknown_council_is_refused_naming_the_known_ones(safe: Settings) -> None:
    problem = only_problem(dataclasses.replace(safe, council="narnia"))
    assert problem.startswith("CARECHAT_COUNCIL is 'narnia'")
    for council in ("calderdale", "durham", "north_somerset", "north_yorkshire"):
        assert council in problem


@pytest.mark.parametrize("setting, value, says", [
    ("TRACKER_STORE_URL", "mysql://u:p@db/x", "'mysql'"),
    ("CARECHAT_TRUSTED_PROXIES", "notanip", "CARECHAT_TRUSTED_PROXIES"),
    ("CARECHAT_EMBED_ORIGINS", "https://council.example/path", "CARECHAT_EMBED_ORIGINS"),
    ("CARECHAT_PURGE_INTERVAL_SECONDS", "0", "CARECHAT_PURGE_INTERVAL_SECONDS"),
])
def test_settings_the_gateway_would_refuse_are_refused_before_start(tmp_path: Path, setting, value, says) -> None:
    settings = load_settings({**safe_env(tmp_path), setting: value})
    upgrade_to_head(settings.case_store_url)
    problem = only_problem(settings)
    assert says in problem and "p@db" not in problem


def test_known_councils_come_from_the_profiles() -> None:
    assert known_councils() == sorted(p.stem for p in (PROJECT_ROOT / "content" / "councils").glob("*.yml"))


def test_content_check_failure_is_refused(safe: Settings) -> None:
    problems = production_problems(safe, content_check=lambda: ["cards/x.yml: no source", "cards/y.yml: bad phone"])
    assert problems == [content_problem(lambda: ["cards/x.yml: no source", "cards/y.yml: bad phone"])]
    assert problems[0].startswith("The content check found 2 problem(s) (the first: cards/x.yml: no source)")
    assert "python -m bot content check" in problems[0]


def test_every_problem_is_reported_at_once(safe: Settings) -> None:
    load_demo(session_factory(safe.case_store_url), date(2026, 11, 23))
    unsafe = dataclasses.replace(safe, demo_mode=True, token_secret="short", council="narnia")
    problems = production_problems(unsafe, content_check=lambda: ["cards/x.yml: no source"])
    assert [p.split(" ")[0] for p in problems] == ["CARECHAT_DEMO_MODE", "CARECHAT_TOKEN_SECRET",
                                                   "CARECHAT_COUNCIL", "The", "The"]
    assert len(problems) == 5


# ---- the command line -----------------------------------------------------------------------

@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Set the process environment for the CLI, starting from no CareChat variables at all."""
    import os

    for name in list(os.environ):
        if (name.startswith("CARECHAT_") and name != "CARECHAT_TEST_POSTGRES_URL") or name == "CASE_STORE_URL":
            monkeypatch.delenv(name, raising=False)

    def set_env(values: dict[str, str]) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list:
    """Replace only the part that would run servers; everything before it runs for real."""
    from bot.ops import stack, training

    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"not a real model")
    monkeypatch.setattr(training, "model_path", lambda root=PROJECT_ROOT: model)
    calls: list = []
    monkeypatch.setattr(stack, "run_forever", lambda running, say=print: calls.append(running) or 0)
    return calls


def test_serve_refuses_unsafe_settings_one_line_each(env, started, capsys, tmp_path: Path) -> None:
    env({**safe_env(tmp_path), "CARECHAT_DEMO_MODE": "true", "CARECHAT_TOKEN_SECRET": "x",
         "CARECHAT_COUNCIL": "narnia"})
    upgrade_to_head(f"sqlite:///{tmp_path / 'casestore.sqlite'}")
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == "CareChat will not start for real young people until these are fixed:"
    assert [line[:24] for line in lines[1:]] == ["  - CARECHAT_DEMO_MODE i", "  - CARECHAT_TOKEN_SECRE",
                                                  "  - CARECHAT_COUNCIL is "]
    assert started == []


def test_serve_refuses_the_default_settings(env, started, capsys, tmp_path: Path) -> None:
    env({"CARECHAT_VAR_DIR": str(tmp_path), "CASE_STORE_URL": f"sqlite:///{tmp_path / 'casestore.sqlite'}"})
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "CARECHAT_TOKEN_SECRET is not set" in err
    assert started == []


def test_serve_check_only_starts_nothing(env, started, capsys, safe: Settings, tmp_path: Path) -> None:
    env(safe_env(tmp_path))
    assert cli.main(["serve", "--check"]) == 0
    assert "production checks passed" in capsys.readouterr().out
    assert started == []


def test_serve_with_safe_settings_starts_on_loopback(env, started, monkeypatch, safe: Settings, tmp_path: Path) -> None:
    env(safe_env(tmp_path))
    monkeypatch.setenv("SANIC_HOST", "0.0.0.0")  # a stray value in the shell must not widen the bind
    assert cli.main(["serve"]) == 0
    [stack] = started
    assert stack.settings.demo_mode is False
    assert stack.settings.token_secret == SAFE_SECRET
    commands = {service.name: service.command for service in stack.services}
    rasa = commands["rasa server"]
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    assert service_env(stack.settings)["SANIC_HOST"] == "127.0.0.1"


def test_run_refuses_an_unknown_council(env, started, capsys, tmp_path: Path) -> None:
    env({"CARECHAT_VAR_DIR": str(tmp_path), "CARECHAT_DEMO_MODE": "true", "CARECHAT_COUNCIL": "narnia"})
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("CareChat: CARECHAT_COUNCIL is 'narnia'")
    assert len(err.strip().splitlines()) == 1
    assert started == []


def test_run_still_starts_the_demo(env, started, tmp_path: Path) -> None:
    env({"CARECHAT_VAR_DIR": str(tmp_path), "CARECHAT_DEMO_MODE": "true"})
    assert cli.main(["run"]) == 0
    assert started[0].settings.demo_mode is True


def test_council_check_accepts_every_known_council(safe: Settings) -> None:
    for council in known_councils():
        assert council_problem(dataclasses.replace(safe, council=council)) is None


# ---- binding: loopback unless configured ------------------------------------------------------

def test_rasa_and_action_server_bind_to_loopback_by_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CARECHAT_BIND_HOST", raising=False)
    monkeypatch.setenv("SANIC_HOST", "0.0.0.0")
    settings = load_settings(safe_env(tmp_path))
    services = {s.name: s for s in build_services(settings, tmp_path / "m.tar.gz")}
    rasa = services["rasa server"].command
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    env = service_env(settings)
    assert env["SANIC_HOST"] == "127.0.0.1"  # rasa-sdk binds SANIC_HOST, 0.0.0.0 when unset
    assert env["CARECHAT_BIND_HOST"] == "127.0.0.1"
    assert 'url: "http://127.0.0.1:5055/webhook"' in runtime_endpoints(settings).read_text()


def test_bind_host_can_be_configured(tmp_path: Path) -> None:
    settings = load_settings({**safe_env(tmp_path), "CARECHAT_BIND_HOST": "10.1.2.3"})
    services = {s.name: s for s in build_services(settings, tmp_path / "m.tar.gz")}
    rasa = services["rasa server"].command
    assert rasa[rasa.index("--interface") + 1] == "10.1.2.3"
    assert service_env(settings)["SANIC_HOST"] == "10.1.2.3"
    assert services["action server"].health_url == "http://10.1.2.3:5055/health"
    assert settings.rasa_url == "http://10.1.2.3:5005"
    assert services["gateway"].health_url == "http://127.0.0.1:8080/healthz"  # the gateway's own bind is unchanged


def test_any_address_bind_is_reached_on_loopback(tmp_path: Path) -> None:
    settings = load_settings({**safe_env(tmp_path), "CARECHAT_BIND_HOST": "0.0.0.0"})
    services = {s.name: s for s in build_services(settings, tmp_path / "m.tar.gz")}
    assert service_env(settings)["SANIC_HOST"] == "0.0.0.0"
    assert services["rasa server"].health_url == "http://127.0.0.1:5005/webhooks/rest/"


# ---- demo people only into a local demo store ---------------------------------------------------

@pytest.mark.parametrize("url", [
    "postgresql+psycopg://carechat:hunter2@db.council.example/cases",
    "sqlite:////srv/carechat/casestore.sqlite",
    f"sqlite:///{PROJECT_ROOT / 'casestore.sqlite'}",
    f"sqlite:///{PROJECT_ROOT / 'var-not' / 'casestore.sqlite'}",
])
def test_demo_loader_refuses_a_store_that_is_not_local(url: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        require_local_demo_store(url)
    message = str(refused.value)
    assert message.startswith("Demo people are only loaded into a local demo store")
    assert "hunter2" not in message


@pytest.mark.parametrize("url", [
    f"sqlite:///{PROJECT_ROOT / 'var' / 'casestore.sqlite'}",
    "sqlite://",
    "sqlite:///:memory:",
])
def test_demo_loader_accepts_the_local_demo_store(url: str) -> None:
    require_local_demo_store(url)


def test_demo_loader_accepts_a_temporary_folder(tmp_path: Path) -> None:
    require_local_demo_store(f"sqlite:///{tmp_path / 'case.sqlite'}")


def test_demo_loader_accepts_only_the_named_test_postgres(monkeypatch) -> None:
    monkeypatch.setenv("CARECHAT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:55432/postgres")
    require_local_demo_store("postgresql+psycopg://postgres@127.0.0.1:55432/postgres")
    with pytest.raises(ConfigurationError):
        require_local_demo_store("postgresql+psycopg://postgres@127.0.0.1:55432/carechat")


def test_load_demo_refuses_before_touching_the_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path / "elsewhere"))
    target = tmp_path / "real" / "casestore.sqlite"
    with pytest.raises(ConfigurationError):
        load_demo(session_factory(f"sqlite:///{target}", create_parent=False), date(2026, 11, 23))
    assert not target.exists()


def test_demo_load_command_refuses_without_migrating(env, capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path / "elsewhere"))
    target = tmp_path / "real" / "casestore.sqlite"
    env({"CASE_STORE_URL": f"sqlite:///{target}"})
    assert cli.main(["demo", "load"]) == 2
    assert capsys.readouterr().err.startswith("CareChat: Demo people are only loaded into a local demo store")
    assert not target.parent.exists()
