"""What a signed-in conversation leaves in Rasa's tracker store, through the real stack.

Someone who can read the tracker database (a backup, a misconfigured server) must not learn
who a conversation was with: no case reference, no name, and no token that decodes to them.
And a chat deleted from the page, or a person erased on request, is gone from it.
"""
from __future__ import annotations

import base64
import binascii
import re
import uuid

import pytest
from sqlalchemy import create_engine, text

from bot.ops.retention import erase_person, tracker_engine
from bot.personal.identity import read_case_ref
from bot.personal.portal_signin import mint_signin_token
from tests.e2e.conftest import GatewayClient

pytestmark = pytest.mark.e2e

CASE_REF = "DEMO-001"
NAME = "Demo Dara"
#: Anything shaped like a JWS or JWE in compact form: 3 or 5 base64url parts joined by dots.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){2,4}")


def _tracker_rows(url: str) -> list[str]:
    """Every column of every row of every table, as text."""
    engine = create_engine(url)
    rows: list[str] = []
    with engine.connect() as conn:
        tables = [r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))]
        for table in tables:
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                rows.append(" ".join(str(value) for value in row))
    engine.dispose()
    return rows


def _decoded_parts(token: str) -> list[bytes]:
    out = []
    for part in token.split("."):
        try:
            out.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        except (binascii.Error, ValueError):
            continue
    return out


def _signed_in_gateway(stack_settings) -> GatewayClient:
    gateway = GatewayClient(f"http://127.0.0.1:{stack_settings.gateway_port}")
    token = mint_signin_token(CASE_REF, stack_settings, name=NAME)
    status, state = gateway.request("POST", "/api/portal/signin", {"token": token})
    assert status == 200 and state["signed_in"], state
    return gateway


def test_a_signed_in_conversation_leaves_no_case_ref_name_or_readable_token(stack, stack_settings, capsys):
    gateway = _signed_in_gateway(stack_settings)
    assert "review" in gateway.say("when is my next review").lower()
    assert "advocate" in gateway.say("who is my advocate").lower()

    rows = _tracker_rows(stack_settings.tracker_url)
    whole = "\n".join(rows)
    tokens = {t for t in TOKEN_SHAPE.findall(whole) if t.count(".") in (2, 4) and len(t) > 60}
    ours = [t for t in tokens if read_case_ref(t, stack_settings) == CASE_REF]
    decoded = [part for t in tokens for part in _decoded_parts(t)]
    raw = stack_settings.tracker_db_path.read_bytes()

    # Not vacuous: the turns were stored, each with an encrypted token naming this person.
    assert ours, "no token of this conversation found in the tracker store"
    assert CASE_REF not in whole and CASE_REF.encode() not in raw
    assert NAME not in whole and NAME.encode() not in raw
    assert not any(CASE_REF.encode() in part or NAME.encode() in part for part in decoded)
    with capsys.disabled():
        print(f"\n  tracker store after a signed-in conversation: {len(rows)} rows, {len(tokens)} token-shaped "
              f"strings ({len(ours)} of this conversation), {len(decoded)} decoded parts searched; "
              f"'{CASE_REF}' found 0 times, '{NAME}' found 0 times")


def test_delete_this_chat_removes_it_from_the_tracker_store(stack, stack_settings):
    gateway = GatewayClient(f"http://127.0.0.1:{stack_settings.gateway_port}")
    marker = f"zebracrossing{uuid.uuid4().hex[:8]}"
    gateway.say(f"what is a care order {marker}")
    assert marker in "\n".join(_tracker_rows(stack_settings.tracker_url))
    status, body = gateway.request("POST", "/api/chat/delete")
    assert status == 200 and body["deleted"] is True, body
    assert marker not in "\n".join(_tracker_rows(stack_settings.tracker_url))
    assert marker.encode() not in stack_settings.tracker_db_path.read_bytes()
    assert "care order" in gateway.say("what is a care order").lower()  # the chat carries on, fresh


def test_erasing_a_person_removes_every_signed_in_conversation(stack, stack_settings):
    for _ in range(2):  # two separate conversations of the same person
        gateway = _signed_in_gateway(stack_settings)
        gateway.say("when is my next review")
    engine = tracker_engine(stack_settings.tracker_url)

    def conversations_of_person() -> int:
        with engine.connect() as conn:
            found = set()
            for sender, data in conn.execute(text("SELECT sender_id, data FROM events")):
                for token in TOKEN_SHAPE.findall(data or ""):
                    if read_case_ref(token, stack_settings) == CASE_REF:
                        found.add(sender)
            return len(found)

    assert conversations_of_person() >= 2
    result = erase_person(engine, CASE_REF, stack_settings)
    assert result.conversations >= 2
    assert conversations_of_person() == 0
    engine.dispose()
