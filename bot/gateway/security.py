"""Response hardening and privacy-safe access logging for the gateway.

The page is for children in care, often on shared or watched devices: nothing loads
from third parties, nothing can frame the page, and the logs hold only which route was
hit, how it ended and how long it took (never message text, tokens, case refs or names).
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

access_logger = logging.getLogger("bot.gateway.access")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: runs for every response, static files and errors included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    # Do not advertise the exact aiohttp/Python versions to scanners.
    response.headers["Server"] = "CareChat"
    if request.path.startswith("/api/"):
        # Answers may be about one young person: never keep them in a shared cache.
        response.headers["Cache-Control"] = "no-store"


def route_label(request: web.BaseRequest) -> str:
    """The matched route template, not the raw path, so a crafted URL cannot smuggle text into logs."""
    match_info = getattr(request, "match_info", None)
    route = getattr(match_info, "route", None)
    resource = getattr(route, "resource", None) if route is not None else None
    if resource is None:
        return "<unmatched>"
    return resource.canonical


class PrivacyAccessLogger(AbstractAccessLogger):
    """aiohttp access logger that writes method, route, status and duration, and nothing else.

    It runs after the response is sent, so the status is the real one (static-file 404s
    are only decided while the response is being prepared).
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.1fms", request.method, route_label(request), response.status, time * 1000
        )


def runner_options() -> dict[str, Any]:
    """Keyword arguments for ``web.run_app``/``AppRunner`` that replace aiohttp's default
    access log (which records raw paths, referrers and user agents) with ours."""
    return {"access_log_class": PrivacyAccessLogger, "access_log": access_logger}
