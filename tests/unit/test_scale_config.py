"""Scale-out by configuration: LOCK_STORE_URL in Rasa's endpoints, the HAProxy configuration, and
``--replicas`` refusing settings whose stores are not shared."""
from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from bot.ops.load_balancer import haproxy_config, pools_for, replica_ports
from bot.ops.lock_store_config import LOCK_STORE_CLASS, lock_store_endpoint, lock_store_url_problem
from bot.ops.stack import build_services, runtime_endpoints, scale_problem
from bot.settings import ConfigurationError, load_settings
from tests.unit.test_stack_endpoints import read_like_rasa

SECRET = "scale-config-test-secret-long-enough-0123456789"
PG = "postgresql+psycopg://carechat:pw@db.internal:5432/carechat"


def settings_for(tmp_path: Path, **env: str):
    return load_settings({"CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_VAR_DIR": str(tmp_path / "var"), **env})


def scaled(tmp_path: Path):
    return settings_for(tmp_path, TRACKER_STORE_URL=PG, LOCK_STORE_URL="redis://127.0.0.1:6379/1",
                        CARECHAT_SESSION_STORE_URL="redis://127.0.0.1:6379/2")


# --- LOCK_STORE_URL -----------------------------------------------------------------------
def test_no_lock_store_url_keeps_rasas_in_memory_lock_store(tmp_path: Path) -> None:
    endpoints = read_like_rasa(runtime_endpoints(settings_for(tmp_path)))
    assert "lock_store" not in endpoints


def test_redis_url_becomes_the_atomic_redis_lock_store(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, LOCK_STORE_URL="redis://:s%3Acret@cache.internal:6380/3")
    entry = read_like_rasa(runtime_endpoints(settings))["lock_store"]
    assert entry == {"type": LOCK_STORE_CLASS, "url": "cache.internal", "port": 6380, "db": 3, "password": "s:cret"}


def test_tls_redis_and_defaults() -> None:
    assert lock_store_endpoint("rediss://cache") == {"type": LOCK_STORE_CLASS, "url": "cache", "port": 6379,
                                                     "db": 1, "use_ssl": True}


@pytest.mark.parametrize("url, words", [
    ("memcached://cache:11211", "Redis"),
    ("redis://", "no host"),
    ("redis://cache:port/1", "port is not a number"),
    ("redis://cache:6379/first", "database number"),
    ("redis://cache:6379/1?timeout=5", "?query"),
])
def test_unusable_lock_store_urls_are_refused_kindly(url: str, words: str) -> None:
    problem = lock_store_url_problem(url)
    assert problem is not None and words in problem and "LOCK_STORE_URL" in problem
    with pytest.raises(ConfigurationError):
        lock_store_endpoint(url)


# --- HAProxy --------------------------------------------------------------------------------
def test_replicas_listen_beside_the_public_ports() -> None:
    assert replica_ports(5005, 3) == (5105, 5106, 5107)
    gateways, rasa, actions = pools_for(8080, 5005, 5055, 2)
    assert (gateways.public_port, gateways.replica_ports) == (8080, (8180, 8181))
    assert rasa.replica_ports == (5105, 5106) and actions.replica_ports == (5155, 5156)


def test_only_the_gateways_get_the_client_address_and_gateways_are_checked_for_liveness_only() -> None:
    config = haproxy_config(pools_for(8080, 5005, 5055, 2), "127.0.0.1", 8179)
    backends = {block.split("\n", 1)[0]: block for block in config.split("\nbackend ")[1:]}
    assert "option forwardfor" in backends["gateways"]
    assert "option forwardfor" not in backends["rasa"] and "option forwardfor" not in backends["actions"]
    assert "httpchk GET /livez" in backends["gateways"]  # the safety reply needs no Rasa
    assert "server rasa2 127.0.0.1:5106" in backends["rasa"]
    assert "\n    log" not in config and "\nlog" not in config  # nothing about a message is logged


def test_browsers_reach_the_gateways_on_gateway_host_and_the_rest_stays_on_the_bind_host() -> None:
    config = haproxy_config(pools_for(8080, 5005, 5055, 2), "127.0.0.1", 8179, public_host="0.0.0.0")
    assert "bind 0.0.0.0:8080" in config
    assert "bind 127.0.0.1:5005" in config and "bind 127.0.0.1:5055" in config and "bind 127.0.0.1:8179" in config


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed (scripts/scale-services install)")
def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config(pools_for(8080, 5005, 5055, 3), "127.0.0.1", 8179))
    checked = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- --replicas -----------------------------------------------------------------------------
def test_one_replica_needs_nothing_shared(tmp_path: Path) -> None:
    assert scale_problem(settings_for(tmp_path), 1) is None


def test_replicas_on_sqlite_and_memory_are_refused_naming_every_missing_store(tmp_path: Path) -> None:
    problem = scale_problem(settings_for(tmp_path), 2)
    assert problem is not None
    for name in ("TRACKER_STORE_URL", "LOCK_STORE_URL", "CARECHAT_SESSION_STORE_URL", "docs/scaling.md"):
        assert name in problem


def test_zero_replicas_is_refused(tmp_path: Path) -> None:
    assert "1 or more" in scale_problem(settings_for(tmp_path), 0)


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed")
def test_two_replicas_start_a_balancer_then_two_of_each_on_their_own_ports(tmp_path: Path) -> None:
    settings = scaled(tmp_path)
    services = build_services(settings, tmp_path / "model.tar.gz", replicas=2)
    names = [s.name for s in services]
    assert names[0] == "load balancer"
    assert sorted(names[1:]) == sorted(f"{kind} {i}" for kind in ("action server", "rasa server", "gateway")
                                       for i in (1, 2))
    rasa2 = next(s for s in services if s.name == "rasa server 2")
    assert rasa2.command[rasa2.command.index("--port") + 1] == "5106"
    gateway1 = next(s for s in services if s.name == "gateway 1")
    assert gateway1.env["GATEWAY_PORT"] == "8180"
    assert "127.0.0.1" in gateway1.env["CARECHAT_TRUSTED_PROXIES"].split(",")
    assert (settings.var_dir / "haproxy.cfg").exists()
    # Every Rasa replica shares one endpoints file: the shared tracker and lock stores.
    endpoints = read_like_rasa(settings.var_dir / "endpoints.runtime.yml")
    assert endpoints["lock_store"]["type"] == LOCK_STORE_CLASS
    assert endpoints["tracker_store"]["dialect"] == "postgresql"



# --- run --replicas keeps the others serving while a dead replica comes back -----------------
class FakeStack:
    """What run_forever sees of a stack: one replica dies once, comes back, then Ctrl-C."""

    def __init__(self, tmp_path: Path, replicas: int, dead_name: str) -> None:
        from types import SimpleNamespace

        self.settings = settings_for(tmp_path)
        self.replicas = replicas
        self.dead = SimpleNamespace(name=dead_name, process=SimpleNamespace(returncode=-9), log_path=tmp_path / "x.log")
        self.calls: list[str] = []
        self.handlers: dict = {}

    def start(self, say=print) -> float:
        return 1.0

    def first_exited(self):
        if "restart" in self.calls:
            self.handlers[signal.SIGTERM](signal.SIGTERM, None)  # then someone presses Ctrl-C
            return None
        return self.dead

    def restart(self, name: str, say=print) -> float:
        self.calls.append("restart")
        return 1.0

    def stop(self) -> None:
        self.calls.append("stop")


def _run(monkeypatch, fake: FakeStack) -> int:
    from bot.ops import stack as stack_module

    monkeypatch.setattr(stack_module.signal, "signal", lambda sig, handler: fake.handlers.__setitem__(sig, handler))
    monkeypatch.setattr(stack_module.time, "sleep", lambda seconds: None)
    return stack_module.run_forever(fake, say=lambda line: None)


def test_a_dead_replica_is_started_again_while_the_others_serve(tmp_path: Path, monkeypatch) -> None:
    fake = FakeStack(tmp_path, replicas=2, dead_name="rasa server 1")
    assert _run(monkeypatch, fake) == 0
    assert fake.calls == ["restart", "stop"]


@pytest.mark.parametrize("replicas, dead", [(1, "rasa server"), (2, "load balancer")])
def test_without_another_replica_or_without_the_balancer_a_death_stops_everything(tmp_path: Path, monkeypatch,
                                                                                    replicas: int, dead: str) -> None:
    fake = FakeStack(tmp_path, replicas=replicas, dead_name=dead)
    assert _run(monkeypatch, fake) == 1
    assert "restart" not in fake.calls and "stop" in fake.calls
