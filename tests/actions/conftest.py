"""Action tests as Rasa's demos do them: a tracker, a CollectingDispatcher, the real action."""
from __future__ import annotations

from datetime import date

import pytest
from rasa_sdk import Tracker

from bot.assistant import CareChat
from bot.personal.casestore.db import session_factory
from bot.personal.casestore.demo import load_demo
from bot.personal.casestore.migrate import upgrade_to_head
from bot.knowledge.card_loader import load_library
from bot.settings import load_settings

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="session")
def library():
    return load_library()


@pytest.fixture()
def settings(tmp_path):
    return load_settings({
        "CARECHAT_TOKEN_SECRET": "action-test-secret-" + "y" * 30,
        "CASE_STORE_URL": f"sqlite:///{tmp_path / 'cases.sqlite'}",
        "CARECHAT_COUNCIL": "north_yorkshire",
    })


@pytest.fixture()
def carechat(settings, library) -> CareChat:
    upgrade_to_head(settings.case_store_url)
    factory = session_factory(settings.case_store_url)
    load_demo(factory, TODAY)
    return CareChat(settings, library, factory, today=lambda: TODAY)


def make_tracker(text: str, intent: str, entities: list[dict] | None = None, metadata: dict | None = None) -> Tracker:
    """A tracker whose latest user message is ``text`` classified as ``intent``."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99},
              "entities": entities or [], "metadata": metadata or {}}
    return Tracker("test-user", {}, latest, [], False, None, {}, "action_listen")


def button_entities(payload: str) -> list[dict]:
    """The entities a quick reply's payload sets, as Rasa's payload parser reads them."""
    import json

    values = json.loads(payload[payload.index("{"):]) if "{" in payload else {}
    return [{"entity": name, "value": value} for name, value in values.items()]


def more_button(messages: list[dict]) -> dict | None:
    """The "Tell me more" / "All about ..." button under a card's short answer, if there is one."""
    return next((b for m in messages for b in m.get("buttons") or []
                 if '"aspect": "more"' in b.get("payload", "")), None)


def short_answer(library, card_id: str, audience: str) -> str:
    """The short answer a card leads with for this reader (the opening of its version)."""
    from bot.knowledge.audiences import version_for
    from bot.knowledge.bites import lead_of

    return lead_of(library.card(card_id).versions[version_for(audience)])
