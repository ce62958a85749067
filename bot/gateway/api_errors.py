"""Kind, plain error replies for the chat API.

Every error the page can hit is a JSON ``{"error": "..."}`` written for a child to read;
anything that could mean "I can't get an answer" also says where to get help, because
the person typing may be in danger.
"""
from __future__ import annotations

from aiohttp import web

from bot.knowledge import helplines

EMPTY_MESSAGE = "Please type a message first."
NOT_JSON = "Sorry, something went wrong sending that. Please reload the page and try again."
TOO_LONG = "That message is a bit long for me. Please keep it under 1000 characters, or send it in parts."
BAD_AUDIENCE = "Please choose who you are from the list."
RATE_LIMITED = (
    "You're sending messages very quickly. Please wait a minute and try again. "
    f"If you are in danger, call {helplines.EMERGENCY}."
)
#: Too many chat turns with Rasa at once, across everyone. Said with the emergency number,
#: like every "no answer" reply (a worrying message gets the safety reply instead).
BUSY = (
    "CareChat is very busy right now. Please try again in a moment. "
    f"If you are in danger, call {helplines.EMERGENCY}."
)
#: The shared session store (Redis) cannot be reached: nothing is lost, and the same session
#: works again once it is back. A worrying chat message gets the safety reply instead.
STORE_DOWN = (
    "We're having a short technical problem. Please try again in a moment. "
    f"If you are in danger, call {helplines.EMERGENCY}."
)
#: A request another website made the browser send (a page of ours never does this).
CROSS_SITE = (
    "Sorry, CareChat only answers messages sent from its own page. "
    "Please open CareChat directly and try again."
)
RASA_DOWN = "Sorry, I can't answer right now. " + helplines.FIXED_CONTACTS
#: Said before the safety contacts when Rasa cannot be reached (the gateway adds them).
#: Never "try again" first: the person typing may be in danger, so help comes before anything else.
SORRY_CANT_ANSWER = "I can't answer that right now, but help is always there:"
#: Said before the safety contacts when Rasa answered with nothing at all.
SORRY_NO_ANSWER = "Sorry, I don't have an answer for that. You could try asking in a different way."
UNKNOWN_DEMO_PERSON = "That person is not in the demo list. Please pick one of the made-up people shown."
NOT_FOUND = "Sorry, this page can't do that."
METHOD_NOT_ALLOWED = "Sorry, this page can't do that."
SERVER_ERROR = "Sorry, something went wrong on our side. " + helplines.FIXED_CONTACTS


class ApiError(Exception):
    """Raised by handlers; turned into a JSON error response by the error middleware."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> web.Response:
    """The one shape of every API error."""
    return web.json_response({"error": message}, status=status)
