"""The web gateway: serves the chat page and is the only door from the browser to Rasa.

It owns the web session (a random cookie mapped to server-side state), rate and size
limits, security headers, and turns a signed-in session into a short-lived signed token
in the metadata of each message. The Rasa server itself is never exposed to the browser.

Limits nobody can dodge by dropping the cookie: messages are limited per session *and* per
client address (``client_address``: the peer, or what trusted proxies say), a session only
starts on a POST and new ones are limited per address, signed-in sessions are never evicted
to make room for anonymous ones, and at most ``max_in_flight`` turns are with Rasa at once.
Cross-site POSTs to the API are refused (``security.is_cross_site``).

The safety reply never waits on anything: every message first passes the same safeguarding
lexicon Rasa uses (``bot.safeguarding``, pure Python). A flagged message still goes to Rasa,
but only for ``SAFETY_DEADLINE_SECONDS``; if Rasa (or the action server behind it) is down,
frozen or silent, the gateway sends the safety reply (or the check-in) itself.
"""
from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Optional, Protocol

import aiohttp
from aiohttp import web

from bot.gateway import api_errors
from bot.gateway.api_errors import ApiError, error_response
from bot.gateway.client_address import TrustedProxies, limit_key, parse_trusted_proxies
from bot.gateway.embed import SESSION_HEADER, add_embed_routes, header_session
from bot.gateway.rasa_client import RESEND_DELAYS_SECONDS, RasaUnavailable, default_client, send_turn
from bot.gateway.security import (
    UNSAFE_METHODS,
    Handler,
    is_cross_site,
    route_label,
    runner_options,
    security_headers_hook,
)
from bot.gateway.session_store import SessionBackend, StoreUnavailable, changed_fields, snapshot
from bot.gateway.sessions import (
    AUDIENCES,
    DEFAULT_RATE_LIMIT,
    AddressLimiter,
    InFlightLimit,
    Session,
    cookie_name,
    new_sender_id,
    sign_in,
    sign_out,
    start_new_conversation,
)
from bot.gateway.store_choice import StoreChoice, redis_link, session_backend, shared_used_signins
from bot.gateway.validation import MAX_BODY_BYTES, ChatInput, parse_chat, read_json_object
from bot.turn_ids import TURN_ID_KEY
from bot.knowledge.about_carechat import retention_phrase
from bot.personal.identity import mint_token
from bot.personal.portal_signin import SharedUsedSignins, UsedSignins
from bot.safeguarding.lexicon import CHECK_IN, RISK
from bot.settings import ConfigurationError, Settings, load_settings, require_safe_secret

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"

HttpClientFactory = Callable[[], aiohttp.ClientSession]

#: How long a message the safeguarding check flagged waits for Rasa before the gateway
#: answers with the safety reply itself (the whole reply must arrive within 2 seconds).
SAFETY_DEADLINE_SECONDS = 1.5
#: How long building the safety reply may take when it is not cached yet (it is built at
#: start-up, so this only matters if that failed); past it, the fixed contacts are sent.
SAFETY_BUILD_SECONDS = 0.25
#: Messages longer than this are checked in a worker thread, so a long one cannot hold the loop.
INLINE_CHECK_MAX_CHARS = 200
#: Button payloads that always mean "I need help now": the page's Get help now button and the
#: check-in's "I'm not safe". They get the full safety reply even when Rasa cannot answer.
SAFETY_PAYLOADS = frozenset({"/get_help_now", "/safety_not_ok"})
#: New sessions one address may start per minute, as a share of its messages per minute: a
#: real visitor sends several messages per session, a cookie-dropping flood one per session.
NEW_SESSIONS_PER_ADDRESS_SHARE = 3
#: The chat route: the one whose refusals still give a worrying message the safety reply.
CHAT_PATH = "/api/chat"

SETTINGS_KEY = web.AppKey("settings", Settings)
STORE_KEY = web.AppKey("session_store", SessionBackend)
DEMO_PEOPLE_KEY = web.AppKey("demo_people", dict)
CLIENT_KEY = web.AppKey("http_client", aiohttp.ClientSession)
CLIENT_FACTORY_KEY = web.AppKey("http_client_factory", object)
RATE_LIMIT_KEY = web.AppKey("rate_limit", int)
CLOCK_KEY = web.AppKey("clock", object)
SAFETY_CACHE_KEY = web.AppKey("safety_cache", dict)
SAFETY_REPLY_CACHE_KEY = web.AppKey("safety_reply_cache", dict)
MATCHER_KEY = web.AppKey("safeguarding_matcher", object)
TRUSTED_PROXIES_KEY = web.AppKey("trusted_proxies", tuple)
ADDRESS_LIMIT_KEY = web.AppKey("address_limit", AddressLimiter)
NEW_SESSION_LIMIT_KEY = web.AppKey("new_session_limit", AddressLimiter)
IN_FLIGHT_KEY = web.AppKey("in_flight", InFlightLimit)
SESSION_KEY = web.RequestKey("session", Session)
SESSION_ID_KEY = web.RequestKey("session_id", str)
#: Set by :func:`_rotate_session`: the session middleware gives the session a new id once the handler is done.
ROTATE_KEY = web.RequestKey("rotate_session", bool)


class SafeguardingSignal(Protocol):
    """What the safeguarding check found (``bot.safeguarding.matcher.Signal``): its tier matters here."""

    tier: str


class SafeguardingMatcher(Protocol):
    """Anything with ``check(text)`` like ``bot.safeguarding.matcher.SafeguardingMatcher`` (tests pass stubs)."""

    def check(self, text: str) -> Optional[SafeguardingSignal]: ...


def _normalise_demo_people(people: list[dict] | None) -> dict[str, dict[str, str]]:
    """Index demo people by case ref, keeping only the fields the page may show."""
    indexed: dict[str, dict[str, str]] = {}
    for person in people or []:
        case_ref = person.get("case_ref")
        name = person.get("display_name")
        if not isinstance(case_ref, str) or not case_ref or not isinstance(name, str):
            continue
        indexed[case_ref] = {
            "case_ref": case_ref,
            "display_name": name,
            "situation": str(person.get("situation") or ""),
        }
    return indexed


def _uses_session(path: str) -> bool:
    return path.startswith("/api/")


def _starts_session(request: web.Request) -> bool:
    """Only a POST to a real API route may start a session: page views and unknown routes never
    do, so a flood of them costs no memory and cannot push anyone's session out of the store."""
    return request.method == "POST" and request.match_info.http_exception is None


def _limit_key(request: web.Request) -> str:
    """What per-address limits count for this request (see ``client_address.limit_key``)."""
    return limit_key(request, request.app[TRUSTED_PROXIES_KEY])


def _set_session_cookie(request: web.Request, response: web.StreamResponse, session_id: str) -> None:
    """HttpOnly, SameSite=Strict; over TLS a ``__Host-`` cookie (Secure, Path=/, no Domain)."""
    secure = request.app[SETTINGS_KEY].secure_cookies
    response.set_cookie(
        cookie_name(secure),
        session_id,
        httponly=True,
        samesite="Strict",
        secure=secure or request.secure,
        path="/",
    )


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the server-side session, if any; start one only for a POST; save what the handler
    changed; (re)issue the cookie when its id is new.

    A GET with no (live) cookie answers as an anonymous visitor and sets nothing. Starting a
    session counts against the client address's new-session limit; past it the request gets
    the rate-limit reply (a worrying chat message still gets the safety reply) and no session.
    The widget's embed page sends its id in the ``X-CareChat-Session`` header instead (a cookie
    would be a third-party one there): its session is the header's alone, and a new id goes
    back in that header, never in a cookie (``bot.gateway.embed``).

    Handlers change the session in place and never save it: this does, after the handler
    (:func:`_commit_session`). If the session store cannot be reached, the request gets a kind
    503 (a worrying chat message the safety reply), never a new anonymous session in place of
    the one it could not read.
    """
    if not _uses_session(request.path):
        return await handler(request)
    store = request.app[STORE_KEY]
    in_header, incoming = header_session(request)
    if not in_header:
        incoming = request.cookies.get(cookie_name(request.app[SETTINGS_KEY].secure_cookies))
    try:
        session = await store.get(incoming)
        if session is not None:
            request[SESSION_KEY] = session
            request[SESSION_ID_KEY] = incoming
        elif _starts_session(request):
            if not request.app[NEW_SESSION_LIMIT_KEY].allow(_limit_key(request)):
                logger.warning("new session refused: one address is starting too many")
                return await _refuse_new_session(request)
            request[SESSION_ID_KEY], request[SESSION_KEY] = await store.create()
    except StoreUnavailable:
        return await _store_down(request, None)
    before = snapshot(request.get(SESSION_KEY))
    response = await handler(request)
    try:
        await _commit_session(request, before)
    except StoreUnavailable:
        if request.path != CHAT_PATH:
            raise ApiError(503, api_errors.STORE_DOWN) from None
        # The chat answer (perhaps the safety reply) still goes out; only a changed audience is lost.
    session_id = request.get(SESSION_ID_KEY)
    if session_id is not None and session_id != incoming:
        if in_header:
            response.headers[SESSION_HEADER] = session_id
        else:
            _set_session_cookie(request, response, session_id)
    return response


async def _commit_session(request: web.Request, before: dict[str, Optional[str]]) -> None:
    """Write back what the handler did to the session: a new id (sign-in/out), or the fields it changed."""
    session: Optional[Session] = request.get(SESSION_KEY)
    if session is None:
        return
    store = request.app[STORE_KEY]
    if request.get(ROTATE_KEY):
        request[SESSION_ID_KEY] = await store.rotate(request.get(SESSION_ID_KEY), session)
        return
    changed = changed_fields(before, session)
    if changed:
        await store.save(request[SESSION_ID_KEY], session, changed)


async def _refuse_new_session(request: web.Request) -> web.Response:
    """The rate-limit reply without a session: for a chat message, the same path as any limited one."""
    if request.path == CHAT_PATH:
        return await _rate_limited(request, None)
    raise ApiError(429, api_errors.RATE_LIMITED)


async def _store_down(request: web.Request, session: Optional[Session]) -> web.Response:
    """The session store cannot be reached: a kind 503; a worrying chat message still gets the safety reply."""
    if request.path == CHAT_PATH:
        return await _refused_chat(request, session, 503, api_errors.STORE_DOWN)
    raise ApiError(503, api_errors.STORE_DOWN)


@web.middleware
async def cross_site_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse any API request another website made the browser send, before it touches a session."""
    if request.method in UNSAFE_METHODS and request.path.startswith("/api/"):
        tls = request.app[SETTINGS_KEY].secure_cookies
        if is_cross_site(request, request.app[TRUSTED_PROXIES_KEY], tls):
            logger.warning("refused a cross-site %s %s", request.method, route_label(request))
            raise ApiError(403, api_errors.CROSS_SITE)
    return await handler(request)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every API failure into the kind JSON error shape; never leak a stack trace."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.message)
    except StoreUnavailable:  # already logged by type; nothing was lost, the same session works again later
        return error_response(503, api_errors.STORE_DOWN)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        if exc.status == 404:
            return error_response(404, api_errors.NOT_FOUND)
        if exc.status == 405:
            return error_response(405, api_errors.METHOD_NOT_ALLOWED)
        if exc.status == 413:
            return error_response(413, api_errors.TOO_LONG)
        return error_response(exc.status, api_errors.NOT_JSON)
    except Exception as exc:  # noqa: BLE001 - last line of defence, logged by type only
        logger.error("unhandled error: %s", type(exc).__name__)
        return error_response(500, api_errors.SERVER_ERROR)


def _rotate_session(request: web.Request) -> None:
    """New cookie id on sign-in/out, so an id captured earlier is worthless.

    The session middleware does it once the handler is done (the old id dies then, before the
    response leaves). Every POST has a session (the middleware starts one); a request without
    one gets a fresh one.
    """
    if request.get(SESSION_KEY) is None:
        request[SESSION_KEY] = Session(sender_id=new_sender_id(), last_seen=time.monotonic())
    request[ROTATE_KEY] = True


def _session_state(request: web.Request) -> dict[str, Any]:
    """What the page may know about its session; a visitor with no session yet is anonymous."""
    session: Optional[Session] = request.get(SESSION_KEY)
    return {
        "signed_in": session is not None and session.signed_in,
        "display_name": None if session is None else session.display_name,
        "demo_mode": request.app[SETTINGS_KEY].demo_mode,
        "audience": None if session is None else session.audience,
    }


def render_page(settings: Settings) -> str:
    """The chat page with the few server-side facts it states filled in (no inline script)."""
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return page.replace("{{RETENTION}}", retention_phrase(settings.retention_days))


async def index(request: web.Request) -> web.StreamResponse:
    """The chat page."""
    response = web.Response(text=render_page(request.app[SETTINGS_KEY]), content_type="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


#: How long /healthz waits for Rasa and the action server: a load balancer polls often and
#: must get an answer quickly, and a service that takes longer than this is not serving well.
HEALTH_TIMEOUT_SECONDS = 1.0
#: Each service's own health route: Rasa's REST channel (the one the gateway uses) and rasa-sdk's.
RASA_HEALTH_PATH = "/webhooks/rest/"
ACTION_HEALTH_PATH = "/health"


async def _probe(client: aiohttp.ClientSession, url: str) -> dict[str, str]:
    """One service's state: ``{"status": "ok"}`` or ``{"status": "down", "reason": ...}`` (no addresses)."""
    try:
        async with client.get(url, timeout=aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_SECONDS)) as response:
            if response.status == 200:
                return {"status": "ok"}
            return {"status": "down", "reason": f"HTTP {response.status}"}
    except asyncio.TimeoutError:
        return {"status": "down", "reason": "timeout"}
    except aiohttp.ClientError:
        return {"status": "down", "reason": "unreachable"}


async def livez(request: web.Request) -> web.Response:
    """This gateway is up (for a load balancer): it can answer, and give the safety reply, even
    while Rasa is down, so it stays in rotation; /healthz says whether everything behind it is."""
    return web.json_response({"status": "ok"})


async def healthz(request: web.Request) -> web.Response:
    """Each service's health and the overall state; 503 when any is down, so a load balancer
    takes this gateway out of rotation while the Rasa server or action server behind it is down."""
    settings = request.app[SETTINGS_KEY]
    client = request.app[CLIENT_KEY]
    rasa, actions = await asyncio.gather(
        _probe(client, settings.rasa_url.rstrip("/") + RASA_HEALTH_PATH),
        _probe(client, settings.action_url.rstrip("/") + ACTION_HEALTH_PATH),
    )
    services = {"gateway": {"status": "ok"}, "rasa": rasa, "action_server": actions}
    healthy = all(service["status"] == "ok" for service in services.values())
    return web.json_response({"status": "ok" if healthy else "unavailable", "services": services},
                             status=200 if healthy else 503)


async def session_info(request: web.Request) -> web.Response:
    """What the page needs to draw itself: signed in or not, demo or not, chosen audience."""
    return web.json_response(_session_state(request))


def build_metadata(session: Session, settings: Settings) -> dict[str, Any]:
    """Metadata for Rasa; a fresh short-lived token only when someone is signed in."""
    metadata: dict[str, Any] = {"audience": session.audience}
    if session.case_ref is not None:
        metadata["carechat_token"] = mint_token(session.case_ref, settings)
    return metadata


def _has_answer(messages: list[dict[str, Any]]) -> bool:
    return any(m.get("text") or m.get("buttons") for m in messages)


async def safeguarding_tier(app: web.Application, text: str) -> Optional[str]:
    """The tier (risk or check_in) of a worrying message, or None; never logs the text."""
    if text in SAFETY_PAYLOADS:
        return RISK
    matcher: SafeguardingMatcher = app[MATCHER_KEY]
    try:
        if len(text) > INLINE_CHECK_MAX_CHARS:
            found = await asyncio.to_thread(matcher.check, text)
        else:
            found = matcher.check(text)
    except Exception as exc:  # noqa: BLE001 - Rasa still runs its own check on every message
        logger.error("safeguarding check failed: %s", type(exc).__name__)
        return None
    if found is None:
        return None
    return CHECK_IN if found.tier == CHECK_IN else RISK


async def chat(request: web.Request) -> web.Response:
    """Check one message, forward it to Rasa and return the cleaned replies.

    A message the safeguarding check flags waits for Rasa at most ``SAFETY_DEADLINE_SECONDS``;
    after that (or if Rasa fails or says nothing) the gateway sends the safety reply itself.
    """
    app = request.app
    session: Session = request[SESSION_KEY]
    try:
        within = await app[STORE_KEY].allow_message(request[SESSION_ID_KEY], session, app[RATE_LIMIT_KEY])
    except StoreUnavailable:
        return await _store_down(request, session)
    # The session's own limit first: a tab already over it does not use up its address's share.
    if not within or not app[ADDRESS_LIMIT_KEY].allow(_limit_key(request)):
        return await _rate_limited(request, session)
    chat_input = parse_chat(await read_json_object(request))
    if chat_input.audience is not None:
        session.audience = chat_input.audience
    checked_from = time.monotonic()
    tier = await safeguarding_tier(app, chat_input.message)
    gate = app[IN_FLIGHT_KEY]
    if not gate.try_enter():
        logger.warning("busy: %d chat turns already with rasa", gate.count)
        return await _refused(app, tier, session.audience, 503, api_errors.BUSY)
    try:
        return await _forward_turn(app, session, chat_input, tier, checked_from)
    finally:
        gate.leave()


async def _forward_turn(
    app: web.Application, session: Session, chat_input: ChatInput, tier: Optional[str], checked_from: float
) -> web.Response:
    """One chat turn with Rasa (the in-flight limit is held by the caller).

    The turn id goes with it, so a resend of this turn (by the page, the load balancer or
    :func:`send_turn`) is handled once by Rasa (``bot.engine.turn_replay``).
    """
    settings = app[SETTINGS_KEY]
    metadata = build_metadata(session, settings)
    metadata[TURN_ID_KEY] = chat_input.turn_id
    # A worrying message is not resent: if Rasa cannot take it at once, the safety reply comes now.
    forward = send_turn(app[CLIENT_KEY], settings.rasa_url, session.sender_id, chat_input.message, metadata,
                        delays=() if tier is not None else RESEND_DELAYS_SECONDS)
    if tier is not None:
        # The deadline counts the check itself, so a long message cannot push the reply past it.
        deadline = max(0.1, SAFETY_DEADLINE_SECONDS - (time.monotonic() - checked_from))
        return await _safety_chat(app, forward, tier, session.audience, deadline)
    try:
        messages = await forward
    except RasaUnavailable:
        text = await fallback_text(app, api_errors.SORRY_CANT_ANSWER, session.audience)
        return error_response(502, text)
    if not _has_answer(messages):
        # Silence is never an answer: the person typing may be in danger.
        text = await fallback_text(app, api_errors.SORRY_NO_ANSWER, session.audience)
        return web.json_response({"messages": [{"text": text}], "fallback": True})
    return web.json_response({"messages": messages})


async def _rate_limited(request: web.Request, session: Optional[Session]) -> web.Response:
    """Too many messages (or new sessions): not forwarded, but a worrying one still gets the safety reply at once."""
    return await _refused_chat(request, session, 429, api_errors.RATE_LIMITED)


async def _refused_chat(request: web.Request, session: Optional[Session], status: int, message: str) -> web.Response:
    """A chat message that cannot go to Rasa: the kind ``message``, or the safety reply at once if it is worrying."""
    try:
        chat_input = parse_chat(await read_json_object(request))
    except ApiError:
        chat_input = None
    tier = None if chat_input is None else await safeguarding_tier(request.app, chat_input.message)
    audience = (chat_input.audience if chat_input is not None else None) or (
        session.audience if session is not None else None
    )
    return await _refused(request.app, tier, audience, status, message)


async def _refused(
    app: web.Application, tier: Optional[str], audience: Optional[str], status: int, message: str
) -> web.Response:
    """A message a limit stops from reaching Rasa: the kind ``message``, or the safety reply if it is worrying."""
    if tier is None:
        raise ApiError(status, message)
    return web.json_response({"messages": await safety_messages(app, tier, audience), "fallback": True})


async def _safety_chat(
    app: web.Application,
    forward: Awaitable[list[dict[str, Any]]],
    tier: str,
    audience: Optional[str],
    deadline: float,
) -> web.Response:
    """Rasa's answer if it comes within ``deadline`` seconds (it gives the same reply), else our own."""
    try:
        messages = await asyncio.wait_for(forward, deadline)
    except asyncio.TimeoutError:
        logger.warning("rasa missed the safety deadline; the gateway sends the %s reply", tier)
    except RasaUnavailable:
        logger.warning("rasa unavailable; the gateway sends the %s reply", tier)
    else:
        if _has_answer(messages):
            return web.json_response({"messages": messages})
        logger.warning("rasa gave no answer; the gateway sends the %s reply", tier)
    return web.json_response({"messages": await safety_messages(app, tier, audience), "fallback": True})


def _build_safety_messages(council: str, audience: Optional[str], tier: str) -> Optional[list[dict[str, Any]]]:
    """The safety reply (risk) or the check-in with its buttons, as chat messages; None if it cannot be built."""
    try:
        from bot.knowledge import safety_reply as safety  # late: loading the council profiles is only needed on this path

        if tier == CHECK_IN:
            return [{"text": safety.check_in(council, audience), "buttons": safety.check_in_buttons()}]
        return [{"text": safety.safety_reply(council)}]
    except Exception as exc:  # noqa: BLE001 - the caller falls back to the fixed contacts
        logger.error("safety reply unavailable: %s", type(exc).__name__)
        return None


def _fixed_safety_messages() -> list[dict[str, Any]]:
    return [{"text": api_errors.RASA_DOWN}]


async def safety_messages(app: web.Application, tier: str, audience: Optional[str]) -> list[dict[str, Any]]:
    """The gateway's own safety reply for a tier: built off the loop once per council and audience.

    Never fails and never waits long: if building fails or is slow, the fixed contacts
    (``api_errors.RASA_DOWN``) are sent instead, and building is tried again next time.
    """
    council = app[SETTINGS_KEY].council
    cache = app[SAFETY_REPLY_CACHE_KEY]
    key = (council, audience, tier)
    if key not in cache:
        try:
            built = await asyncio.wait_for(
                asyncio.to_thread(_build_safety_messages, council, audience, tier), SAFETY_BUILD_SECONDS
            )
        except asyncio.TimeoutError:
            logger.error("safety reply took too long to build")
            built = None
        if built is None:
            return _fixed_safety_messages()
        cache[key] = built
    return [dict(message) for message in cache[key]]


def _prepare_safety_sync(council: str) -> dict[tuple, list[dict[str, Any]]]:
    """Every safety reply this gateway may send, built before the first message arrives."""
    built = {}
    for audience in (None, *sorted(AUDIENCES)):
        for tier in (RISK, CHECK_IN):
            messages = _build_safety_messages(council, audience, tier)
            if messages is None:
                return built  # logged once; each message will try again, then send the fixed contacts
            built[(council, audience, tier)] = messages
    return built


def _safety_startup(matcher: Optional[SafeguardingMatcher]) -> Callable[[web.Application], Any]:
    async def prepare_safety(app: web.Application) -> None:
        # No matcher, no gateway: Rasa loads the same lexicon, so a broken one stops the stack
        # loudly at start-up instead of quietly losing the 2-second safety reply.
        if matcher is None:
            from bot.safeguarding.matcher import default_matcher

            app[MATCHER_KEY] = await asyncio.to_thread(default_matcher)
        app[SAFETY_REPLY_CACHE_KEY].update(await asyncio.to_thread(_prepare_safety_sync, app[SETTINGS_KEY].council))

    return prepare_safety


def _safety_text(council: str, audience: str | None) -> str:
    """The safety contacts (:func:`bot.knowledge.safety_reply.safety_contacts`); fixed contacts if they cannot be built."""
    try:
        from bot.knowledge import safety_reply as safety  # late: loading the council profiles is only needed on this path

        return safety.safety_contacts(council)
    except Exception as exc:  # noqa: BLE001 - the fallback must never fail
        logger.error("safety reply unavailable: %s", type(exc).__name__)
        return api_errors.RASA_DOWN


async def fallback_text(app: web.Application, sorry: str, audience: str | None) -> str:
    """A kind sorry line followed by the safety contacts (built once per council and audience)."""
    council = app[SETTINGS_KEY].council
    cache = app[SAFETY_CACHE_KEY]
    key = (council, audience)
    if key not in cache:
        cache[key] = await asyncio.to_thread(_safety_text, council, audience)
    return f"{sorry}\n{cache[key]}"


async def demo_people_handler(request: web.Request) -> web.Response:
    """The fictional people a visitor can try the demo as."""
    return web.json_response({"people": list(request.app[DEMO_PEOPLE_KEY].values())})


async def demo_signin_handler(request: web.Request) -> web.Response:
    """Sign the session in as one of the listed demo people (and nobody else)."""
    data = await read_json_object(request)
    case_ref = data.get("case_ref")
    person = request.app[DEMO_PEOPLE_KEY].get(case_ref) if isinstance(case_ref, str) else None
    if person is None:
        raise ApiError(400, api_errors.UNKNOWN_DEMO_PERSON)
    sign_in(request[SESSION_KEY], person["case_ref"], person["display_name"])
    _rotate_session(request)
    return web.json_response(_session_state(request))


async def signout_handler(request: web.Request) -> web.Response:
    """Forget who is signed in and start a new conversation (no body needed, so quick exit can beacon it)."""
    sign_out(request[SESSION_KEY])
    _rotate_session(request)
    return web.json_response(_session_state(request))


async def restart_handler(request: web.Request) -> web.Response:
    """"Start again": a new Rasa conversation, still signed in as the same person (no body needed)."""
    start_new_conversation(request[SESSION_KEY])
    return web.json_response(_session_state(request))


def _client_context(factory: HttpClientFactory) -> Callable[[web.Application], AsyncIterator[None]]:
    async def client_ctx(app: web.Application) -> AsyncIterator[None]:
        app[CLIENT_KEY] = factory()
        try:
            yield
        finally:
            await app[CLIENT_KEY].close()

    return client_ctx


def create_app(
    settings: Settings,
    demo_people: list[dict] | None = None,
    http_client_factory: HttpClientFactory | None = None,
    *,
    session_store: StoreChoice = None,
    rate_limit: int = DEFAULT_RATE_LIMIT,
    clock: Callable[[], float] = time.monotonic,
    matcher: Optional[SafeguardingMatcher] = None,
    new_session_limit: Optional[int] = None,
    used_signins: Optional[UsedSignins | SharedUsedSignins] = None,
) -> web.Application:
    """Build the gateway application.

    ``http_client_factory`` returns the aiohttp ClientSession used to reach Rasa (tests
    pass one with a short timeout); ``demo_people`` is only used in demo mode.
    ``matcher`` is the safeguarding check; by default the shipped lexicon's, built at start-up
    (tests pass stubs). ``rate_limit`` is messages per session per minute; per address it is
    ``settings.rate_limit_per_address``, and ``new_session_limit`` new sessions per address per
    minute (default: a ``NEW_SESSIONS_PER_ADDRESS_SHARE``th of the per-address message limit).
    ``session_store`` (an in-memory ``SessionStore`` or any ``SessionBackend``) and ``used_signins``
    (redeemed portal sign-in tokens) default to the Redis named by ``CARECHAT_SESSION_STORE_URL``,
    or this process's memory when it is empty.
    Raises :class:`bot.settings.ConfigurationError` outside demo mode with the dev secret, when
    ``CARECHAT_TRUSTED_PROXIES`` holds something that is not an address or range, or when
    ``CARECHAT_SESSION_STORE_URL`` is not a usable Redis URL.
    """
    require_safe_secret(settings)
    trusted: TrustedProxies = parse_trusted_proxies(settings.trusted_proxies)
    link = redis_link(settings)
    app = web.Application(
        # error_middleware twice: inside, so a handler's error still gets the new session's
        # cookie; outside, for the refusals the cross-site and session middlewares raise.
        middlewares=[error_middleware, cross_site_middleware, session_middleware, error_middleware],
        client_max_size=MAX_BODY_BYTES,
    )
    app[SETTINGS_KEY] = settings
    app[TRUSTED_PROXIES_KEY] = trusted
    app[ADDRESS_LIMIT_KEY] = AddressLimiter(settings.rate_limit_per_address, clock=clock)
    if new_session_limit is None:
        new_session_limit = max(1, settings.rate_limit_per_address // NEW_SESSIONS_PER_ADDRESS_SHARE)
    app[NEW_SESSION_LIMIT_KEY] = AddressLimiter(new_session_limit, clock=clock)
    app[IN_FLIGHT_KEY] = InFlightLimit(settings.max_in_flight)
    app[STORE_KEY] = session_backend(session_store, link, clock)
    app[DEMO_PEOPLE_KEY] = _normalise_demo_people(demo_people) if settings.demo_mode else {}
    app[RATE_LIMIT_KEY] = rate_limit
    app[CLOCK_KEY] = clock
    app[SAFETY_CACHE_KEY] = {}
    app[SAFETY_REPLY_CACHE_KEY] = {}
    if matcher is not None:
        app[MATCHER_KEY] = matcher
    app.on_startup.append(_safety_startup(matcher))
    app.cleanup_ctx.append(_client_context(http_client_factory or default_client))
    app.on_response_prepare.append(security_headers_hook(settings.secure_cookies))

    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/livez", livez)
    app.router.add_get("/api/session", session_info)
    app.router.add_post(CHAT_PATH, chat)
    # Quick exit beacons sign-out in every mode, so a shared device keeps nothing on the server side either.
    app.router.add_post("/api/signout", signout_handler)
    app.router.add_post("/api/restart", restart_handler)
    if settings.demo_mode:
        app.router.add_get("/api/demo/people", demo_people_handler)
        app.router.add_post("/api/demo/signin", demo_signin_handler)
    # Imported here: these modules use this one's session helpers inside their handlers.
    from bot.gateway.chat_erase import add_erase_routes
    from bot.gateway.portal import add_portal_routes

    add_portal_routes(app, used_signins if used_signins is not None else shared_used_signins(link))
    if link is not None:
        app.on_cleanup.append(link.close)
    add_erase_routes(app)
    add_embed_routes(app)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    return app


def _load_demo_people(settings: Settings) -> list[dict]:
    """The case store's fictional demo people, when demo mode is on and the case store is installed."""
    if not settings.demo_mode:
        return []
    try:
        from bot.personal.casestore.demo import list_demo_people
    except ImportError:
        logger.warning("demo mode is on but bot.personal.casestore.demo is not available; no demo people")
        return []
    return list(list_demo_people())


def main() -> int:
    """Run the gateway on settings.gateway_host:settings.gateway_port; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    try:
        require_safe_secret(settings)
        app = create_app(settings, demo_people=_load_demo_people(settings), rate_limit=settings.rate_limit_per_session)
        # Only the running gateway purges on a schedule (not every app a test builds).
        from bot.gateway.retention_schedule import add_retention_schedule

        add_retention_schedule(app, settings)
    except ConfigurationError as exc:
        print(f"carechat gateway: {exc}", file=sys.stderr)
        return 2
    web.run_app(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        **runner_options(),
        print=lambda _msg: logger.info(
            "gateway listening on http://%s:%s", settings.gateway_host, settings.gateway_port
        ),
    )
    return 0
