"""The widget's side of the gateway: the embed page a council page frames, and sessions without cookies.

A council adds ``<script src="https://<carechat>/static/widget.js" defer>`` to its page; the
script opens ``/embed?origin=<the council page's origin>`` in an iframe. That page is the chat
page itself (``index.html`` and ``chat.js``) with ``embed.js`` in front of it, and it is the
only response the gateway lets another site frame, with ``frame-ancestors`` naming exactly
the origin it was asked for, and only if that origin is in ``CARECHAT_EMBED_ORIGINS``. The
browser enforces that the page framing it really is that origin, so ``embed.js`` can trust
it as the only origin it talks to with ``postMessage``. Any other origin, a missing one, or no
origins configured: a redirect to the full page, which nobody can frame.

Inside another site's page the gateway's cookie is a third-party cookie: ``SameSite=Strict``
keeps it from being sent and browsers block or partition it anyway. So the embed page keeps
its session id in its own script and sends it in the ``X-CareChat-Session`` request header;
the gateway gives a new or rotated id back in the same response header and sets no cookie for
such requests. Only the embed page's own script can read or send that header: another site's
request with a custom header needs a CORS preflight, which the gateway never grants.
"""
from __future__ import annotations

import html
import ipaddress
import logging
import re
from typing import Iterable, Optional

from aiohttp import web
from yarl import URL

from bot.gateway.security import FRAME_ANCESTORS_KEY
from bot.settings import ConfigurationError, Settings

logger = logging.getLogger(__name__)

EMBED_PATH = "/embed"
#: The request and response header that carries the session id in the widget (never a cookie there).
SESSION_HEADER = "X-CareChat-Session"
#: What a session id looks like (``sessions.new_session_id``: 43 URL-safe characters); anything
#: else in the header is treated as "no session yet", never looked up or echoed.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{32,64}")
EMBED_ORIGINS_KEY = web.AppKey("embed_origins", frozenset)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
#: Plain HTTP only for a council page on this machine (testing): on a network, anyone on the
#: way could change a page served without TLS, widget and all.
_LOOPBACK_NAMES = frozenset({"localhost"})

#: Markers in index.html the embed page is built from; checked when the routes are added.
_HTML_TAG = '<html lang="en-GB">'
_FIRST_SCRIPT = "<script "
_EMBED_SCRIPT = '<script src="/static/embed.js" defer></script>\n  '


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_origin(value: str) -> str:
    """``scheme://host[:port]`` in the form browsers send (lower case, no default port, no slash).

    Raises ``ValueError`` for anything that is not exactly one web origin: a path, query,
    wildcard, user name, or plain HTTP anywhere but this machine.
    """
    text = value.strip()
    if text.endswith("/"):
        text = text[:-1]
    if not text or any(ch in text for ch in " \t\r\n;,*'\"<>\\") or text.count("://") != 1:
        raise ValueError("not an origin")
    try:
        url = URL(text)
        scheme, host, port = url.scheme.lower(), (url.host or "").lower().rstrip("."), url.port
    except (ValueError, TypeError) as exc:
        raise ValueError("not an origin") from exc
    if scheme not in _DEFAULT_PORTS or not host or url.user is not None or url.password is not None:
        raise ValueError("not an origin")
    if url.raw_path not in ("", "/") or url.raw_query_string or url.raw_fragment:
        raise ValueError("not an origin")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None and not _HOST.fullmatch(host):
        raise ValueError("not an origin")
    if scheme == "http" and not _is_loopback(host):
        raise ValueError("plain http")
    shown = f"[{host}]" if address is not None and address.version == 6 else host
    return f"{scheme}://{shown}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{shown}:{port}"


def parse_embed_origins(values: Iterable[str]) -> frozenset[str]:
    """The configured council origins, normalised; a clear ``ConfigurationError`` for any bad one."""
    origins = set()
    for value in values:
        try:
            origins.add(normalise_origin(value))
        except ValueError as exc:
            hint = ("use https:// (plain http is only allowed for localhost)" if str(exc) == "plain http"
                    else "give only the scheme, host and port, e.g. https://www.council.gov.uk")
            raise ConfigurationError(
                f"CARECHAT_EMBED_ORIGINS: {value!r} is not a web origin the widget can be embedded on; {hint}"
            ) from exc
    return frozenset(origins)


def header_session(request: web.BaseRequest) -> tuple[bool, Optional[str]]:
    """(whether this request keeps its session in the header, the id it sent if it looks like one).

    A request that sends the header at all (even empty) is the widget's: its session is the
    header's, never the cookie's, and a new id goes back in the header, not in a cookie.
    """
    raw = request.headers.get(SESSION_HEADER)
    if raw is None:
        return False, None
    raw = raw.strip()
    return True, raw if _SESSION_ID.fullmatch(raw) else None


def render_embed_page(settings: Settings, origin: str) -> str:
    """The chat page, marked as embedded for ``origin``, with ``embed.js`` running before the rest."""
    from bot.gateway.app import render_page  # late: app.py imports this module

    page = render_page(settings)
    marked = f'<html lang="en-GB" class="embed" data-embed-origin="{html.escape(origin, quote=True)}">'
    page = page.replace(_HTML_TAG, marked, 1)
    at = page.index(_FIRST_SCRIPT)
    return page[:at] + _EMBED_SCRIPT + page[at:]


async def embed_page(request: web.Request) -> web.StreamResponse:
    """The chat page for the widget's iframe, framable only by the council origin that asked for it."""
    from bot.gateway.app import SETTINGS_KEY  # late: app.py imports this module

    try:
        origin = normalise_origin(request.query.get("origin", ""))
    except ValueError:
        origin = None
    if origin is None or origin not in request.app[EMBED_ORIGINS_KEY]:
        # Never the origin itself in the log: it is whatever the request said.
        logger.warning("embed page refused: the origin is not in CARECHAT_EMBED_ORIGINS")
        raise web.HTTPSeeOther("/")
    response = web.Response(text=render_embed_page(request.app[SETTINGS_KEY], origin), content_type="text/html")
    response.headers["Cache-Control"] = "no-cache"
    request[FRAME_ANCESTORS_KEY] = origin
    return response


def add_embed_routes(app: web.Application) -> None:
    """Add ``GET /embed`` and the parsed council origins; a bad ``CARECHAT_EMBED_ORIGINS`` stops start-up."""
    from bot.gateway.app import SETTINGS_KEY, STATIC_DIR  # late: app.py imports this module

    app[EMBED_ORIGINS_KEY] = parse_embed_origins(app[SETTINGS_KEY].embed_origins)
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    if _HTML_TAG not in page or _FIRST_SCRIPT not in page:
        raise ConfigurationError("static/index.html changed: bot/gateway/embed.py cannot mark it as the embed page")
    app.router.add_get(EMBED_PATH, embed_page)
