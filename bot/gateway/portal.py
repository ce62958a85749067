"""``POST /api/portal/signin``: the council portal's one-time link signs the web session in.

The portal opens CareChat at ``/#signin=<token>``; the page's script (``static/portal-signin.js``)
posts the token here. Whatever is wrong with a token, the young person gets one kind message
that does not say which check failed (that would only help someone probing), and a session
that was signed in before is signed out, so a stale or someone else's sign-in never lingers.
"""
from __future__ import annotations

import inspect
import logging
from typing import Union

from aiohttp import web

from bot.gateway.api_errors import ApiError
from bot.gateway.sessions import sign_in, sign_out
from bot.gateway.validation import read_json_object
from bot.personal.portal_signin import (
    AwaitableUsedSignins,
    InMemoryUsedSignins,
    SharedUsedSignins,
    SigninRejected,
    UsedSignins,
    redeem_shared,
)

logger = logging.getLogger(__name__)

PORTAL_SIGNIN_PATH = "/api/portal/signin"
USED_SIGNINS_KEY = web.AppKey("portal_used_signins", SharedUsedSignins)

#: The one message for every failed sign-in (bad body or bad token).
SIGNIN_FAILED = (
    "This sign-in link has run out or was already used. Please go back to your council's "
    "young people's portal and open CareChat from there."
)
#: Who the page says is signed in when the portal sent no first name.
NEUTRAL_NAME = "you"


def _forget_any_signed_in_person(request: web.Request) -> None:
    """After a failed sign-in nobody is signed in: the person holding the link is not who was before."""
    from bot.gateway.app import SESSION_KEY, _rotate_session  # late: app.py imports this module

    session = request.get(SESSION_KEY)
    if session is not None and session.signed_in:
        sign_out(session)
        _rotate_session(request)


async def _token_from_body(request: web.Request) -> str:
    """The token string from ``{"token": "..."}``; any other body is refused with the one message."""
    try:
        data = await read_json_object(request)
    except ApiError as exc:
        raise ApiError(400, SIGNIN_FAILED) from exc
    token = data.get("token")
    if not isinstance(token, str) or not token.strip():
        raise ApiError(400, SIGNIN_FAILED)
    return token.strip()


async def portal_signin_handler(request: web.Request) -> web.Response:
    """Redeem the portal's one-time token and sign this session in (new cookie id), or refuse kindly."""
    from bot.gateway.app import SESSION_KEY, SETTINGS_KEY, _rotate_session, _session_state

    try:
        token = await _token_from_body(request)
        # If the shared record cannot be reached, StoreUnavailable goes on to the error middleware:
        # a kind 503, the link not used up, and whoever was signed in stays signed in.
        signin = await redeem_shared(token, request.app[SETTINGS_KEY], request.app[USED_SIGNINS_KEY])
    except (ApiError, SigninRejected) as exc:
        reason = exc.reason if isinstance(exc, SigninRejected) else "bad_body"
        logger.info("portal sign-in refused: %s", reason)  # the reason word only: no token, no case ref
        _forget_any_signed_in_person(request)
        status = exc.status if isinstance(exc, ApiError) else 401
        raise ApiError(status, SIGNIN_FAILED) from exc
    sign_in(request[SESSION_KEY], signin.case_ref, signin.display_name or NEUTRAL_NAME)
    _rotate_session(request)
    logger.info("portal sign-in accepted")
    return web.json_response(_session_state(request))


def add_portal_routes(app: web.Application,
                      used_signins: Union[UsedSignins, SharedUsedSignins, None] = None) -> None:
    """Add the portal sign-in route (in demo mode and outside it) and the record of used tokens.

    ``used_signins`` defaults to one gateway's in-memory record; several gateways share one in
    Redis (``bot.gateway.redis_signins``, chosen by ``CARECHAT_SESSION_STORE_URL``).
    """
    if used_signins is None:
        used_signins = InMemoryUsedSignins()
    if not inspect.iscoroutinefunction(used_signins.claim):
        used_signins = AwaitableUsedSignins(used_signins)
    app[USED_SIGNINS_KEY] = used_signins
    app.router.add_post(PORTAL_SIGNIN_PATH, portal_signin_handler)
