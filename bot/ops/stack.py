"""Start, watch and stop CareChat's three services: action server, Rasa server, gateway.

Used by ``python -m bot run`` (``make run``) and by the end-to-end tests, so the tests
exercise exactly the start-up a person uses. Each service logs to its own file; children
run in their own session so Ctrl-C reaches only us and we stop them in order.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.ops.local_postgres import postgres_installed
from bot.ops.load_balancer import MONITOR_PATH, MONITOR_PORT_OFFSET, haproxy_config, pools_for
from bot.ops.lock_store_config import lock_store_endpoint
from bot.ops.retention import check_tracker_url
from bot.settings import PROJECT_ROOT, Settings, connect_host


class StackError(RuntimeError):
    """A service failed to start; the message names it and its log file."""


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    log_path: Path
    #: Settings of this service alone (a replica's own port), on top of :func:`service_env`.
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = field(default=None, repr=False)


def tracker_store_endpoint(settings: Settings) -> dict[str, Any]:
    """Rasa's ``tracker_store`` entry for ``settings.tracker_url`` (SQLite or PostgreSQL).

    Keys as Rasa 3.6 reads them (rasa/core/tracker_store.py): ``create_tracker_store`` passes
    ``url`` as ``host`` and every other key to ``SQLTrackerStore(dialect, host, port, db,
    username, password, query)``, which builds ``URL(dialect, username, password, host, port,
    database=db, query=query)``. Dialect ``postgresql`` means psycopg2, which the engine
    environment has; whatever driver the URL names is for the app side (psycopg 3).
    Raises :class:`ConfigurationError` for anything else.
    """
    url = check_tracker_url(settings.tracker_url)
    if url.get_backend_name() == "sqlite":
        return {"type": "SQL", "dialect": "sqlite", "db": url.database}
    entry: dict[str, Any] = {"type": "SQL", "dialect": "postgresql"}
    if url.host:
        # Rasa splits host and port itself ("scheme://" + host), so an IPv6 address needs brackets.
        entry["url"] = f"[{url.host}]" if ":" in url.host and not url.host.startswith("[") else url.host
    if url.port:
        entry["port"] = url.port
    entry["db"] = url.database
    if url.username:
        entry["username"] = url.username
    if url.password:
        entry["password"] = url.password
    if url.query:
        entry["query"] = {key: value if isinstance(value, str) else list(value) for key, value in url.query.items()}
    return entry


def _yaml_value(value: Any, indent: str) -> str:
    """A YAML value for Rasa's reader: numbers plain, every string double-quoted and ASCII-escaped.

    JSON string escapes are valid YAML. Quoting keeps Rasa's ``${VAR}`` expansion (plain scalars
    only) away from a password, and no character can break the file; an all-ASCII file is what
    Rasa's reader expects for ``\\u`` escapes (rasa.shared.utils.io.read_yaml).
    """
    if isinstance(value, dict):
        return "".join(f"\n{indent}{json.dumps(str(k))}: {_yaml_value(v, indent + '  ')}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(str(v)) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by this user only (0600) from the first byte, then swap it in."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(fd, 0o600)  # O_CREAT's mode only applies to a new file
        handle.write(text)
    os.replace(tmp, path)


def runtime_endpoints(settings: Settings) -> Path:
    """Write the Rasa endpoints file for these settings (action server, tracker store, lock store).

    The tracker store comes from TRACKER_STORE_URL, the lock store from LOCK_STORE_URL (none:
    Rasa's in-memory lock store, right for one Rasa process).

    It may hold the database password, so it is readable by this user only.
    """
    tracker = tracker_store_endpoint(settings)
    lock = lock_store_endpoint(settings.lock_store_url)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    if tracker["dialect"] == "sqlite":
        Path(tracker["db"]).parent.mkdir(parents=True, exist_ok=True)
    path = settings.var_dir / "endpoints.runtime.yml"
    lines = [
        "# Written by bot.ops.stack from CareChat's settings; do not edit.",
        "action_endpoint:",
        f"  url: {_yaml_value(settings.action_url.rstrip('/') + '/webhook', '    ')}",
        "tracker_store:",
        *(f"  {key}:{_yaml_value(value, '    ') if isinstance(value, dict) else ' ' + _yaml_value(value, '    ')}"
          for key, value in tracker.items()),
    ]
    if lock is not None:
        lines += ["lock_store:", *(f"  {key}: {_yaml_value(value, '    ')}" for key, value in lock.items())]
    _write_private(path, "\n".join(lines) + "\n")
    return path


def service_env(settings: Settings, root: Path = PROJECT_ROOT) -> dict[str, str]:
    """The environment every service gets: our settings, telemetry off, quiet TensorFlow."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(root),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        GATEWAY_HOST=settings.gateway_host,
        GATEWAY_PORT=str(settings.gateway_port),
        RASA_PORT=str(settings.rasa_port),
        RASA_URL=settings.rasa_url,
        ACTION_PORT=str(settings.action_port),
        ACTION_URL=settings.action_url,
        CARECHAT_BIND_HOST=settings.bind_host,
        # rasa-sdk binds the action server to SANIC_HOST, 0.0.0.0 (every interface) when unset
        # (rasa_sdk/endpoint.py, run()): always set it, so it listens where CARECHAT_BIND_HOST says.
        SANIC_HOST=settings.bind_host,
        CASE_STORE_URL=settings.case_store_url,
        CARECHAT_TOKEN_SECRET=settings.token_secret,
        CARECHAT_COUNCIL=settings.council,
        CARECHAT_DEMO_MODE="true" if settings.demo_mode else "false",
        CARECHAT_VAR_DIR=str(settings.var_dir),
        CARECHAT_RETENTION_DAYS=str(settings.retention_days),
        # The gateway purges on a schedule and erases chats in the same tracker store Rasa writes.
        TRACKER_STORE_URL=settings.tracker_url,
        CARECHAT_PURGE_INTERVAL_SECONDS=str(settings.purge_interval_seconds),
        # The gateway's limits and TLS behaviour (docs/security.md) and the portal sign-in.
        CARECHAT_TRUSTED_PROXIES=",".join(settings.trusted_proxies),
        CARECHAT_SECURE_COOKIES="true" if settings.secure_cookies else "false",
        CARECHAT_MAX_IN_FLIGHT=str(settings.max_in_flight),
        CARECHAT_RATE_LIMIT_PER_ADDRESS=str(settings.rate_limit_per_address),
        CARECHAT_RATE_LIMIT_PER_SESSION=str(settings.rate_limit_per_session),
        CARECHAT_PORTAL_ISSUER=settings.portal_issuer,
        CARECHAT_PORTAL_AUDIENCE=settings.portal_audience,
        CARECHAT_PORTAL_MAX_TTL_SECONDS=str(settings.portal_max_ttl_seconds),
        CARECHAT_EMBED_ORIGINS=",".join(settings.embed_origins),
        CARECHAT_SESSION_STORE_URL=settings.session_store_url,
        # rasa-sdk 3.6 closes idle keep-alive connections after 5 s; under load Rasa then writes
        # to a closing socket ("Cannot write to closing transport"). Later rasa-sdk uses 120 s.
        SANIC_KEEP_ALIVE_TIMEOUT="120",
    )
    return env


def build_services(settings: Settings, model: Path, root: Path = PROJECT_ROOT, replicas: int = 1,
                   balanced: bool = False) -> list[Service]:
    """The services in start order: the three, or a load balancer and ``replicas`` of each
    (``balanced`` puts even one replica behind the load balancer, to compare like with like)."""
    if replicas > 1 or balanced:
        return build_replicated_services(settings, model, root, replicas)
    app_py = str(root / ".venv-app" / "bin" / "python")
    # Rasa's own CLI with one speed fix (bot/engine/rasa_server.py): `rasa run` works too, just slower.
    rasa = [str(root / ".venv-engine" / "bin" / "python"), "-m", "bot.engine.rasa_server"]
    logs = settings.var_dir / "logs"
    # Both listen on CARECHAT_BIND_HOST (127.0.0.1 unless configured): `rasa run` would take
    # 0.0.0.0 without --interface, the action server takes SANIC_HOST (set in service_env).
    reach = connect_host(settings.bind_host)
    return [
        Service("action server", [app_py, "-m", "bot.ops.action_server", "--actions", "actions", "--port", str(settings.action_port)],
                f"http://{reach}:{settings.action_port}/health", logs / "actions.log"),
        Service("rasa server", [*rasa, "run", "--model", str(model), "--interface", settings.bind_host,
                                "--port", str(settings.rasa_port), "--endpoints", str(runtime_endpoints(settings)),
                                "--credentials", str(root / "credentials.yml")],
                f"http://{reach}:{settings.rasa_port}/webhooks/rest/", logs / "rasa.log"),
        Service("gateway", [app_py, "-m", "bot.gateway"],
                f"http://{connect_host(settings.gateway_host)}:{settings.gateway_port}/healthz", logs / "gateway.log"),
    ]


def missing_scale_servers() -> list[str]:
    """The Debian servers the scaled-out setup needs that this machine lacks (its tests and bench)."""
    missing = [name for name in ("redis-server", "haproxy") if shutil.which(name) is None]
    return missing if postgres_installed() else [*missing, "postgresql"]


def scale_problem(settings: Settings, replicas: int) -> str | None:
    """Why ``replicas`` copies of each service cannot run with these settings, or None.

    Replicas share conversations, locks and web sessions, so none of the three may live in one
    process's memory or one machine's SQLite file.
    """
    if replicas < 1:
        return "--replicas must be 1 or more."
    if replicas == 1:
        return None
    missing = []
    if check_tracker_url(settings.tracker_url).get_backend_name() == "sqlite":
        missing.append("TRACKER_STORE_URL (PostgreSQL)")
    if not settings.lock_store_url:
        missing.append("LOCK_STORE_URL (Redis)")
    if not settings.session_store_url:
        missing.append("CARECHAT_SESSION_STORE_URL (Redis)")
    if missing:
        return ("--replicas needs stores every replica shares; set " + ", ".join(missing)
                + " (docs/scaling.md shows how to start local ones to try it).")
    if shutil.which("haproxy") is None:
        return ("--replicas needs HAProxy as the load balancer: install it (Debian: apt-get install haproxy, "
                "or `scripts/scale-services install`).")
    return None


def build_replicated_services(settings: Settings, model: Path, root: Path, replicas: int) -> list[Service]:
    """HAProxy on the public ports, then ``replicas`` action servers, Rasa servers and gateways behind it.

    Replica ``i`` listens on its service's public port + 100 + i (``bot.ops.load_balancer``).
    Every Rasa replica calls the action servers, and every gateway calls Rasa, through the load
    balancer; gateways believe X-Forwarded-For from it, so per-address limits see real clients.
    """
    problem = scale_problem(settings, max(replicas, 2))
    if problem:
        raise StackError(problem)
    pools = pools_for(settings.gateway_port, settings.rasa_port, settings.action_port, replicas)
    reach = connect_host(settings.bind_host)
    monitor_port = settings.gateway_port + MONITOR_PORT_OFFSET
    config = settings.var_dir / "haproxy.cfg"
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    config.write_text(haproxy_config(pools, settings.bind_host, monitor_port, reach, public_host=settings.gateway_host),
                      encoding="utf-8")
    logs = settings.var_dir / "logs"
    one = build_services(settings, model, root)  # the single-process commands, re-pointed per replica
    action, rasa, gateway = one
    balancer = Service("load balancer", [shutil.which("haproxy") or "haproxy", "-db", "-f", str(config)],
                       f"http://{reach}:{monitor_port}{MONITOR_PATH}", logs / "haproxy.log")
    services = [balancer]
    trusted = ",".join(dict.fromkeys([*settings.trusted_proxies, reach]))
    gateway_reach = connect_host(settings.gateway_host)
    gateways, rasas, actions = pools
    for i in range(replicas):
        a_port, r_port, g_port = actions.replica_ports[i], rasas.replica_ports[i], gateways.replica_ports[i]
        services += [
            Service(f"action server {i + 1}", _with_port(action.command, a_port), f"http://{reach}:{a_port}/health",
                    logs / f"actions-{i + 1}.log"),
            Service(f"rasa server {i + 1}", _with_port(rasa.command, r_port), f"http://{reach}:{r_port}/webhooks/rest/",
                    logs / f"rasa-{i + 1}.log"),
            Service(f"gateway {i + 1}", gateway.command, f"http://{gateway_reach}:{g_port}/livez",
                    logs / f"gateway-{i + 1}.log",
                    env={"GATEWAY_PORT": str(g_port), "CARECHAT_TRUSTED_PROXIES": trusted}),
        ]
    return services


def _with_port(command: list[str], port: int) -> list[str]:
    """``command`` with the value after ``--port`` replaced."""
    at = command.index("--port")
    return [*command[: at + 1], str(port), *command[at + 2:]]


def is_healthy(url: str) -> bool:
    """True when the URL answers 200 within two seconds (a service's health check)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def is_answering(url: str) -> bool:
    """True when something answers HTTP at the URL at all, healthy or not (the port is taken)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


class Stack:
    """The running services; use as a context manager or call start()/stop()."""

    def __init__(self, settings: Settings, model: Path, root: Path = PROJECT_ROOT, replicas: int = 1,
                 balanced: bool = False) -> None:
        self.settings = settings
        self.root = root
        self.replicas = replicas
        self.services = build_services(settings, model, root, replicas, balanced)

    def start(self, timeout: float = 180.0, say=print) -> float:
        """Start every service and wait until all answer their health check; returns seconds taken."""
        began = time.monotonic()
        for service in self.services:
            if is_answering(service.health_url):  # a gateway whose Rasa is down answers 503
                raise StackError(f"{service.name}: something is already listening at {service.health_url}; "
                                 "stop it or choose other ports (see README, Configuration)")
            self._launch(service)
        self._wait_healthy(list(self.services), began, timeout, say)
        return time.monotonic() - began

    def _launch(self, service: Service) -> None:
        service.log_path.parent.mkdir(parents=True, exist_ok=True)
        with service.log_path.open("ab") as log:
            service.process = subprocess.Popen(service.command, cwd=self.root,
                                               env={**service_env(self.settings, self.root), **service.env},
                                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                               start_new_session=True)

    def _wait_healthy(self, pending: list[Service], began: float, timeout: float, say) -> None:
        while pending:
            for service in list(pending):
                if service.process.poll() is not None:
                    self.stop()
                    raise StackError(f"{service.name} stopped during start-up (exit {service.process.returncode}); "
                                     f"see {service.log_path}")
                if is_healthy(service.health_url):
                    pending.remove(service)
                    say(f"  {service.name} ready ({time.monotonic() - began:.1f} s)")
            if pending and time.monotonic() - began > timeout:
                self.stop()
                names = ", ".join(s.name for s in pending)
                raise StackError(f"timed out after {timeout:.0f} s waiting for: {names}; see {self.settings.var_dir / 'logs'}")
            time.sleep(0.1)

    def service(self, name: str) -> Service:
        """The service called ``name`` (e.g. "rasa server 2")."""
        return next(s for s in self.services if s.name == name)

    def kill(self, name: str) -> None:
        """Kill one service at once (SIGKILL, no goodbye): what a crash or a lost machine looks like."""
        proc = self.service(name).process
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def restart(self, name: str, timeout: float = 180.0, say=print) -> float:
        """Start a killed service again and wait until it is healthy; returns seconds taken."""
        service = self.service(name)
        began = time.monotonic()
        self._launch(service)
        self._wait_healthy([service], began, timeout, say)
        return time.monotonic() - began

    def stop(self, grace: float = 15.0) -> None:
        """Stop services in reverse order: SIGTERM, then SIGKILL after ``grace`` seconds."""
        for service in reversed(self.services):
            proc = service.process
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + grace
        for service in reversed(self.services):
            proc = service.process
            if proc is None:
                continue
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()

    def first_exited(self) -> Service | None:
        """A service that has died, if any (for the run loop's watchdog)."""
        return next((s for s in self.services if s.process and s.process.poll() is not None), None)

    def __enter__(self) -> "Stack":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def run_forever(stack: Stack, say=print) -> int:
    """Start the stack, print where to chat, and keep it up until Ctrl-C."""
    taken = stack.start(say=say)
    settings = stack.settings
    say(f"\nCareChat is ready in {taken:.1f} s: open http://{settings.gateway_host}:{settings.gateway_port}/"
        + ("  (demo mode: fictional demo people can sign in)" if settings.demo_mode else ""))
    say(f"Logs: {settings.var_dir / 'logs'}. Press Ctrl-C to stop.")
    stopping = {"now": False}

    def _stop(signum, frame):  # noqa: ARG001 - signal handler signature
        stopping["now"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping["now"]:
            dead = stack.first_exited()
            if dead is not None:
                say(f"{dead.name} stopped unexpectedly (exit {dead.process.returncode}); see {dead.log_path}")
                if stack.replicas == 1 or dead.name == "load balancer":
                    stack.stop()
                    return 1
                # The other replicas go on serving; this one comes back.
                say(f"  starting {dead.name} again; the other replicas carry on meanwhile")
                try:
                    stack.restart(dead.name, say=say)
                except StackError as error:
                    say(f"  {error}")
                    return 1
            time.sleep(0.5)
    finally:
        say("\nStopping CareChat...")
        stack.stop()
        say("Stopped.")
    return 0


if __name__ == "__main__":  # pragma: no cover - use `python -m bot run`
    sys.exit("use: python -m bot run")
