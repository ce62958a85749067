"""The HAProxy configuration in front of N gateways, N Rasa servers and N action servers.

Why HAProxy, and these settings: it is a Debian package, health-checks every replica twice a
second, and can resend a request to another replica when the first one failed before answering
(``retry-on``). Resending is safe here for a reason of our own: every chat turn carries a
``turn_id``, and Rasa hands a turn it already handled its recorded replies instead of a second
turn (``bot.engine.turn_replay``). Action calls are read-only lookups, so any failure may be
retried. Nothing about a message is logged: HAProxy gets no ``log`` line at all.

Used by ``python -m bot run --replicas N`` (one machine) and by the fault tests; the
production layout over several machines is in docs/scaling.md.
"""
from __future__ import annotations

from dataclasses import dataclass

#: Where replica ``i`` (0-based) of a service whose public port is P listens: P + 100 + i.
REPLICA_PORT_OFFSET = 100
#: The load balancer's own health page: gateway port + this (``monitor-uri``).
MONITOR_PORT_OFFSET = 99
MONITOR_PATH = "/haproxy-ok"


@dataclass(frozen=True)
class Pool:
    """One service behind the load balancer: where people reach it and where its replicas are."""

    name: str
    public_port: int
    replica_ports: tuple[int, ...]
    health_path: str
    #: What may be resent to another replica (HAProxy ``retry-on`` keywords).
    retry_on: str
    #: Add X-Forwarded-For (for the gateway, so per-address limits see the real client).
    forward_client_address: bool = False
    #: Reached by browsers (bound on GATEWAY_HOST), not only by the other services (CARECHAT_BIND_HOST).
    public: bool = False


def replica_ports(public_port: int, replicas: int) -> tuple[int, ...]:
    """The ports of a service's replicas."""
    return tuple(public_port + REPLICA_PORT_OFFSET + i for i in range(replicas))


def pools_for(gateway_port: int, rasa_port: int, action_port: int, replicas: int) -> list[Pool]:
    """The three pools CareChat runs: gateways, Rasa servers, action servers."""
    return [
        # A gateway answers the safety reply even with Rasa down, so its check is liveness only.
        # Resending a chat POST is safe (turn ids); a gateway that died mid-turn closes the connection.
        Pool("gateways", gateway_port, replica_ports(gateway_port, replicas), "/livez",
             "conn-failure empty-response 503", forward_client_address=True, public=True),
        Pool("rasa", rasa_port, replica_ports(rasa_port, replicas), "/",
             "conn-failure empty-response 503"),
        Pool("actions", action_port, replica_ports(action_port, replicas), "/health", "all-retryable-errors"),
    ]


def haproxy_config(pools: list[Pool], bind_host: str, monitor_port: int, connect_host: str = "127.0.0.1",
                   public_host: str | None = None) -> str:
    """HAProxy's configuration for ``pools``: round robin, quick health checks, safe resends.

    Public pools bind on ``public_host`` (GATEWAY_HOST), the others on ``bind_host``.
    """
    lines = [
        "# Written by bot.ops.load_balancer; do not edit (it is rewritten at every start).",
        "global",
        "    maxconn 4096",
        "defaults",
        "    mode http",
        "    timeout connect 1s",
        "    timeout client 60s",
        "    timeout server 30s",
        "    timeout queue 10s",
        "    timeout http-request 10s",
        # Resend to another replica (needs the request body kept in the buffer).
        "    retries 3",
        "    option redispatch 1",
        "    option http-buffer-request",
        "    option abortonclose",
        "",
        "frontend monitor",
        f"    bind {bind_host}:{monitor_port}",
        f"    monitor-uri {MONITOR_PATH}",
    ]
    for pool in pools:
        lines += [
            "",
            f"frontend {pool.name}_in",
            f"    bind {(public_host or bind_host) if pool.public else bind_host}:{pool.public_port}",
            f"    default_backend {pool.name}",
            "",
            f"backend {pool.name}",
            "    balance roundrobin",
            f"    option httpchk GET {pool.health_path}",
            f"    retry-on {pool.retry_on}",
            "    default-server check inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2",
        ]
        if pool.forward_client_address:
            lines.append("    option forwardfor")
        lines += [f"    server {pool.name}{i + 1} {connect_host}:{port}" for i, port in enumerate(pool.replica_ports)]
    return "\n".join(lines) + "\n"
