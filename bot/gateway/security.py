"""Response hardening, cross-site refusal and privacy-safe access logging for the gateway.

The page is for children in care, often on shared or watched devices: nothing loads
from third parties, nothing can frame the page (except the widget's embed page, framed only
by the council origins configured for it), no other site can make the browser post
to the API, and the logs hold only which route was hit, how it ended and how long it took
(never message text, tokens, case refs or names).
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional, Sequence

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from yarl import URL

from bot.gateway.client_address import IPNetwork, forwarded_value

access_logger = logging.getLogger("bot.gateway.access")


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """The one policy for every response; only ``frame-ancestors`` ever differs (the widget's embed page)."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self'; frame-ancestors {frame_ancestors}; base-uri 'none'; form-action 'self'"
    )


CONTENT_SECURITY_POLICY = content_security_policy()

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

#: Sent on every response when the site is served over TLS: a browser that has seen it once
#: never again talks plain HTTP to this host for a year, so nobody on a café or school network
#: can strip TLS and read or change the chat. No includeSubDomains: the council's other hosts
#: are not ours to decide for.
HSTS = "max-age=31536000"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ResponseHook = Callable[[web.Request, web.StreamResponse], Awaitable[None]]


#: Set on a request only by the widget's embed page (``bot.gateway.embed``), to the one council
#: origin (already checked against ``CARECHAT_EMBED_ORIGINS``) that may frame that response.
#: Every other response, errors and redirects of the embed route included, cannot be framed.
FRAME_ANCESTORS_KEY = web.RequestKey("frame_ancestors", str)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: runs for every response, static files and errors included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    framed_by = request.get(FRAME_ANCESTORS_KEY)
    if framed_by:
        # X-Frame-Options has no way to name another site: it goes, and frame-ancestors decides.
        response.headers["Content-Security-Policy"] = content_security_policy(framed_by)
        del response.headers["X-Frame-Options"]
    # Do not advertise the exact aiohttp/Python versions to scanners.
    response.headers["Server"] = "CareChat"
    if request.path.startswith("/api/"):
        # Answers may be about one young person: never keep them in a shared cache.
        response.headers["Cache-Control"] = "no-store"


def security_headers_hook(tls: bool) -> ResponseHook:
    """The response hook for this deployment: the headers above, plus HSTS when served over TLS."""
    if not tls:
        return add_security_headers

    async def add_security_headers_and_hsts(request: web.Request, response: web.StreamResponse) -> None:
        await add_security_headers(request, response)
        response.headers["Strict-Transport-Security"] = HSTS

    return add_security_headers_and_hsts


# ---- cross-site requests ------------------------------------------------------------------

#: Methods that change something; a browser sends them cross-site without asking first.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: ``Sec-Fetch-Site`` values of a request the page itself made (``none``: typed by the user).
OWN_FETCH_SITES = frozenset({"same-origin", "none"})
#: Routes that accept ``Origin: null`` when the browser sends no ``Sec-Fetch-Site``. The page's
#: ``Referrer-Policy: no-referrer`` makes browsers send ``Origin: null`` on the quick-exit
#: ``navigator.sendBeacon`` to sign-out; older browsers without Fetch Metadata would otherwise
#: refuse it and leave the person signed in on a shared device. Signing out only ever takes
#: access away, so a forged one cannot expose anything.
NULL_ORIGIN_ROUTES = frozenset({"/api/signout"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, host_and_port: str) -> Optional[tuple[str, str, int]]:
    """(scheme, host, port) with the scheme's default port filled in; None if it is not a web origin."""
    scheme = scheme.strip().lower()
    if scheme not in _DEFAULT_PORTS or not host_and_port or "/" in host_and_port or "@" in host_and_port:
        return None
    try:
        url = URL(f"{scheme}://{host_and_port.strip()}")
        host, port = url.host, url.port
    except (ValueError, TypeError):
        return None
    if not host:
        return None
    return scheme, host.lower().rstrip("."), port or _DEFAULT_PORTS[scheme]


def _parse_origin_header(value: str) -> Optional[tuple[str, str, int]]:
    scheme, sep, rest = value.strip().partition("://")
    return _origin(scheme, rest) if sep else None


def page_origin(request: web.BaseRequest, trusted: Sequence[IPNetwork], tls: bool) -> Optional[tuple[str, str, int]]:
    """The origin the browser used to reach this page: scheme and host as it asked for them.

    Behind a trusted proxy its ``X-Forwarded-Proto``/``X-Forwarded-Host`` say what the browser
    used; from anyone else those headers are ignored. ``tls`` (``CARECHAT_SECURE_COOKIES``) means
    the site is only served over HTTPS, whatever the proxy says.
    """
    scheme = forwarded_value(request, "X-Forwarded-Proto", trusted) or request.scheme
    if tls:
        scheme = "https"
    host = forwarded_value(request, "X-Forwarded-Host", trusted) or request.host
    return _origin(scheme, host)


def is_cross_site(request: web.BaseRequest, trusted: Sequence[IPNetwork], tls: bool) -> bool:
    """Whether another site made the browser send this request.

    The browser's own ``Sec-Fetch-Site`` decides when present (a page cannot forge it). Without
    it (older browsers), an ``Origin`` that is not this page's origin is refused. With neither,
    the sender is not a browser acting for another site (scripts, tests, health checks): it
    holds no one else's cookie, so whatever it sends, it sends as itself.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in OWN_FETCH_SITES
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    if origin.strip() == "null" and request.path in NULL_ORIGIN_ROUTES:
        return False
    sent = _parse_origin_header(origin)
    return sent is None or sent != page_origin(request, trusted, tls)


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
