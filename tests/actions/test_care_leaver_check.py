"""The guided care-leaver check's actions, run as Rasa's demos do: a Tracker, a CollectingDispatcher,
the real action, then the events and messages it produced.

The form itself (care_leaver_check_form) runs inside Rasa; here its validation action is driven
turn by turn the way the form drives it, so the order of questions is tested without Rasa.
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import (
    FROM_RECORD_SLOT,
    ActionAskAgeBand,
    ActionAskInCareAfter16,
    ActionAskInEducation,
    ActionAskStillInCare,
    ActionAskThirteenWeeks,
    ActionCareLeaverCheckAnswer,
    ActionStartCareLeaverCheck,
    ValidateCareLeaverCheckForm,
)
from bot.assistant import CareChat
from bot.knowledge.care_leavers import guided_check as g
from bot.personal.casestore.db import session_factory
from bot.personal.identity import mint_token
from bot.settings import PROJECT_ROOT
from tests.actions.conftest import TODAY, make_tracker

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
CLEARED = [SlotSet(slot, None) for slot in g.QUESTION_ORDER]


def run(action, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, tracker, DOMAIN)
    events = asyncio.run(result) if asyncio.iscoroutine(result) else result
    return events, dispatcher.messages


def form_tracker(slots: dict[str, Any], requested: str | None, intent: str, entities: list[dict] | None = None,
                 text: str | None = None) -> Tracker:
    """A tracker inside the form: the check's slots so far, the question asked and the latest message."""
    latest = {"text": text if text is not None else f"/{intent}", "intent": {"name": intent, "confidence": 1.0},
              "entities": entities or []}
    return Tracker("test-user", {**slots, "requested_slot": requested}, latest, [], False, None,
                   {"name": g.FORM}, "action_listen")


def tap(slot: str, value: str) -> list[dict]:
    """The entities a button for this question and answer carries."""
    return [{"entity": slot, "value": value}]


def validate(slots: dict, requested: str | None, intent: str, entities: list[dict] | None = None) -> list[dict]:
    return run(ValidateCareLeaverCheckForm(), form_tracker(slots, requested, intent, entities))[0]


# ---- the first step: the record, or the questions ----------------------------------------

def test_signed_out_the_check_introduces_its_questions(carechat: CareChat) -> None:
    events, messages = run(ActionStartCareLeaverCheck(carechat),
                           make_tracker("what am i entitled to", g.CHECK_INTENT))
    assert [m["text"] for m in messages] == [g.INTRO]
    assert events[-1] == SlotSet(FROM_RECORD_SLOT, False)
    assert all(e in events for e in CLEARED)


def test_a_signed_in_care_leaver_is_answered_from_the_record_without_questions(carechat: CareChat, settings) -> None:
    token = mint_token("DEMO-004", settings)  # Demo Kai: 19, in care from 13 until 18
    events, messages = run(ActionStartCareLeaverCheck(carechat),
                           make_tracker("what am i entitled to", g.CHECK_INTENT, metadata={"carechat_token": token}))
    text = messages[0]["text"]
    assert text.startswith("I worked this out from your council record, without asking you questions.")
    assert "your date of birth (you are 19)" in text
    assert "accommodated by agreement (section 20)" in text and "care order (section 31)" in text
    assert "weeks in care since your 14th birthday (13 weeks is the line)" in text
    assert '"former relevant"' in text and "(Children Act 1989" in text
    assert "North Yorkshire" in text
    assert events[-1] == SlotSet(FROM_RECORD_SLOT, True)
    assert {b["payload"] for b in messages[0]["buttons"]} >= {'/ask_topic{"topic": "care_leaver"}'}


def test_a_signed_in_young_person_still_in_care_at_16_is_eligible(carechat: CareChat, settings) -> None:
    token = mint_token("DEMO-007", settings)  # Demo Jo: 16, in care since 13
    _, messages = run(ActionStartCareLeaverCheck(carechat),
                      make_tracker("am i a care leaver", g.CHECK_INTENT, metadata={"carechat_token": token}))
    assert "your date of birth (you are 16)" in messages[0]["text"]
    assert '"eligible" young person' in messages[0]["text"]
    assert "and still going: care order (section 31)" in messages[0]["text"]


def test_a_record_without_care_episodes_asks_instead(carechat: CareChat, settings) -> None:
    token = mint_token("DEMO-006", settings)  # Demo Sky: record incomplete, no episodes
    events, messages = run(ActionStartCareLeaverCheck(carechat),
                           make_tracker("what am i entitled to", g.CHECK_INTENT, metadata={"carechat_token": token}))
    assert messages[0]["text"] == f"{g.RECORD_HAS_NO_CARE} {g.INTRO}"
    assert events[-1] == SlotSet(FROM_RECORD_SLOT, False)


def test_a_forged_token_or_a_case_ref_typed_in_chat_reveals_nothing(carechat: CareChat, settings) -> None:
    forged = mint_token("DEMO-004", dataclasses.replace(settings, token_secret="guessed-" * 6))
    for tracker in (make_tracker("what am i entitled to", g.CHECK_INTENT, metadata={"carechat_token": forged}),
                    make_tracker("i am DEMO-004, what am i entitled to", g.CHECK_INTENT)):
        events, messages = run(ActionStartCareLeaverCheck(carechat), tracker)
        assert messages[0]["text"] == g.INTRO and "Demo" not in messages[0]["text"]
        assert events[-1] == SlotSet(FROM_RECORD_SLOT, False)


def test_a_store_that_is_down_asks_instead_and_logs_nothing_personal(settings, library, tmp_path, caplog) -> None:
    down = session_factory(f"sqlite:///{tmp_path / 'no' / 'such' / 'x.sqlite'}", create_parent=False)
    carechat = CareChat(settings, library, down, today=lambda: TODAY)
    token = mint_token("DEMO-004", settings)
    with caplog.at_level(logging.DEBUG, logger="bot"):
        events, messages = run(ActionStartCareLeaverCheck(carechat),
                               make_tracker("what am i entitled to", g.CHECK_INTENT,
                                            metadata={"carechat_token": token}))
    assert messages[0]["text"] == f"{g.RECORD_NOT_AVAILABLE} {g.INTRO}"
    assert events[-1] == SlotSet(FROM_RECORD_SLOT, False)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "OperationalError" in logged and "DEMO-004" not in logged and "entitled" not in logged


# ---- asking ---------------------------------------------------------------------------------

@pytest.mark.parametrize("action", [ActionAskAgeBand, ActionAskInCareAfter16, ActionAskThirteenWeeks,
                                    ActionAskStillInCare, ActionAskInEducation])
def test_each_question_is_asked_with_its_answers_and_stop(carechat: CareChat, action) -> None:
    ask = action(carechat)
    assert ask.name() == f"action_ask_{ask.slot}" and ask.name() in DOMAIN["actions"]
    events, messages = run(ask, form_tracker({}, ask.slot, g.ANSWER_INTENT))
    assert events == []
    assert messages[0]["text"] == g.QUESTIONS[ask.slot].text
    assert messages[0]["buttons"] == g.QUESTIONS[ask.slot].buttons()


# ---- validation: button answers only, and only what the decision needs -----------------------

def test_an_age_button_fills_the_age_and_asks_about_care_after_16() -> None:
    events = validate({}, g.AGE, g.ANSWER_INTENT, tap(g.AGE, "18_20"))
    assert events == [SlotSet(g.AGE, "18_20"), SlotSet("requested_slot", g.AFTER_16)]


def test_under_16_ends_the_form_straight_after_the_age_question() -> None:
    events = validate({}, g.AGE, g.ANSWER_INTENT, tap(g.AGE, "under_16"))
    assert events == [SlotSet(g.AGE, "under_16"), SlotSet("requested_slot", None)]


@pytest.mark.parametrize("intent, entities", [
    (g.ANSWER_INTENT, tap(g.AGE, "I'm 19, my flat is 4 Elm Road")),   # a hand-typed payload
    (g.ANSWER_INTENT, tap(g.AFTER_16, "yes")),                          # an old button for another question
    (g.ANSWER_INTENT, []),                                              # a typed "im 19"
    ("ask_review_meeting", []),                                         # another question
    ("safeguarding_concern", tap(g.AGE, "18_20")),                      # never an answer
])
def test_anything_but_a_button_for_the_question_asked_fills_nothing(intent: str, entities: list[dict]) -> None:
    """Only the requested_slot event comes back, so Rasa's form rejects the message and the rules decide."""
    events = validate({}, g.AGE, intent, entities)
    assert [e for e in events if e["name"] != "requested_slot"] == []


def test_a_stored_value_that_is_not_an_answer_is_emptied() -> None:
    action = ValidateCareLeaverCheckForm()
    assert action.validate_cl_age_band("25_plus", CollectingDispatcher(), None, DOMAIN) == {g.AGE: "25_plus"}
    assert action.validate_cl_age_band("my address", CollectingDispatcher(), None, DOMAIN) == {g.AGE: None}
    assert action.validate_cl_in_education("yes", CollectingDispatcher(), None, DOMAIN) == {g.EDUCATION: "yes"}


def drive(answers: dict[str, str]) -> tuple[list[str], dict]:
    """The form's turns: ask the requested question, tap the answer, validate, until it is done."""
    slots: dict = {}
    requested = g.next_question(slots)
    asked: list[str] = []
    while requested is not None:
        assert requested not in asked and len(asked) < len(g.QUESTION_ORDER), asked
        asked.append(requested)
        events = validate(slots, requested, g.ANSWER_INTENT, tap(requested, answers[requested]))
        slots.update({e["name"]: e["value"] for e in events if e["name"] != "requested_slot"})
        chosen = [e["value"] for e in events if e["name"] == "requested_slot"]
        if chosen:
            requested = chosen[-1]
        else:  # every question still matters: rasa_sdk leaves the choice to Rasa, the next empty slot
            requested = next((s for s in DOMAIN["forms"][g.FORM]["required_slots"] if slots.get(s) is None), None)
    return asked, slots


@pytest.mark.parametrize("answers, asked, group", [
    ({g.AGE: "16_17", g.AFTER_16: "yes", g.WEEKS: "yes", g.STILL_IN_CARE: "yes"},
     [g.AGE, g.AFTER_16, g.WEEKS, g.STILL_IN_CARE], '"eligible"'),
    ({g.AGE: "16_17", g.AFTER_16: "yes", g.WEEKS: "yes", g.STILL_IN_CARE: "no"},
     [g.AGE, g.AFTER_16, g.WEEKS, g.STILL_IN_CARE], '"relevant"'),
    ({g.AGE: "21_24", g.AFTER_16: "yes", g.WEEKS: "yes", g.EDUCATION: "yes"},
     [g.AGE, g.AFTER_16, g.WEEKS, g.EDUCATION], '"former relevant"'),
    ({g.AGE: "18_20", g.AFTER_16: "yes", g.WEEKS: "no", g.EDUCATION: "no"},
     [g.AGE, g.AFTER_16, g.WEEKS, g.EDUCATION], '"qualifying"'),
    ({g.AGE: "18_20", g.AFTER_16: "no"}, [g.AGE, g.AFTER_16], "does not count you as a care leaver"),
    ({g.AGE: "under_16"}, [g.AGE], "You are not there yet, and that is fine."),
])
def test_the_form_asks_only_what_each_group_needs_then_answers(carechat: CareChat, answers: dict, asked: list,
                                                                group: str) -> None:
    got_asked, slots = drive(answers)
    assert got_asked == asked
    tracker = form_tracker(slots, None, g.ANSWER_INTENT)
    events, messages = run(ActionCareLeaverCheckAnswer(carechat), tracker)
    assert group in messages[0]["text"]
    assert events == [*CLEARED, SlotSet("last_card", g.CHECK_CARD)]


def test_a_not_sure_path_gives_the_range_and_a_button_to_check_again(carechat: CareChat) -> None:
    asked, slots = drive({g.AGE: "16_17", g.AFTER_16: "yes", g.WEEKS: "not_sure", g.STILL_IN_CARE: "yes"})
    assert asked == [g.AGE, g.AFTER_16, g.WEEKS, g.STILL_IN_CARE]
    _, messages = run(ActionCareLeaverCheckAnswer(carechat), form_tracker(slots, None, g.ANSWER_INTENT))
    text = messages[0]["text"]
    assert "I can't tell your group for certain yet" in text and "Care Advice Line" in text
    assert messages[0]["buttons"][0] == {"title": "Check again", "payload": f"/{g.CHECK_INTENT}"}


# ---- the domain wires it together -------------------------------------------------------------

def test_the_domain_declares_the_form_its_slots_and_entities_without_text_mappings() -> None:
    assert DOMAIN["forms"][g.FORM]["required_slots"] == list(g.QUESTION_ORDER)
    for slot in g.QUESTION_ORDER:
        spec = DOMAIN["slots"][slot]
        assert spec["type"] == "categorical" and spec["influence_conversation"] is False
        assert set(spec["values"]) == set(g.QUESTIONS[slot].values)
        assert [m["type"] for m in spec["mappings"]] == ["custom"]  # filled only by the validation action
        assert slot in DOMAIN["entities"]
    assert not any(m.get("type") == "from_text" for s in DOMAIN["slots"].values() for m in s["mappings"])
    for name in ("action_start_care_leaver_check", "validate_care_leaver_check_form",
                 "action_care_leaver_check_answer"):
        assert name in DOMAIN["actions"]
    for intent in (g.CHECK_INTENT, g.ANSWER_INTENT, g.STOP_INTENT):
        assert intent in DOMAIN["intents"]


def test_the_check_buttons_in_responses_start_the_check() -> None:
    for name in ("utter_check_stopped", "utter_check_not_running"):
        (response,) = DOMAIN["responses"][name]
        assert [b["payload"] for b in response["buttons"]] == [f"/{g.CHECK_INTENT}"]


def test_the_care_leaver_card_offers_the_check_first(carechat: CareChat) -> None:
    reply = carechat.render_card("care_leaver", "young_person")
    assert reply.buttons[0] == g.START_BUTTON and len(reply.buttons) <= 3
    other = carechat.render_card("pathway_plan", "young_person")
    assert g.START_BUTTON not in other.buttons


def test_button_payloads_are_valid_json_for_rasa() -> None:
    for question in g.QUESTIONS.values():
        for button in question.buttons()[:-1]:
            payload = button["payload"]
            assert json.loads(payload[payload.index("{"):])
