"""Safety reply, fallback steps and handoff, run as Rasa runs them: tracker in, events out."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import (ActionAnswerTopic, ActionFallbackOffer, ActionHandoff, ActionNoneOfThese,
                             ActionSafetyReply)
from bot.knowledge.scope import load_training_examples
from tests.actions.conftest import make_tracker, short_answer


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def with_slots(tracker: Tracker, **slots) -> Tracker:
    return Tracker(tracker.sender_id, slots, tracker.latest_message, [], False, None, {}, "action_listen")


def test_safety_reply_mid_fallback_clears_the_fallback(carechat):
    tracker = with_slots(make_tracker("he hurts me", "safeguarding_concern"),
                         fallback_stage="offered", fallback_backup=["care_order"])
    messages, events = run(ActionSafetyReply(carechat), tracker)
    assert "999" in messages[0]["text"] and "0800 1111" in messages[0]["text"]
    assert SlotSet("fallback_stage", None) in events and SlotSet("fallback_backup", None) in events


def test_fallback_offers_two_topics_and_none_of_these(carechat):
    latest = make_tracker("umm the meeting thing", "nlu_fallback")
    latest.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.45}, {"name": "ask_review_meeting", "confidence": 0.3},
        {"name": "greet", "confidence": 0.1}, {"name": "ask_family_time", "confidence": 0.05}]
    messages, events = run(ActionFallbackOffer(carechat), latest)
    payloads = [button["payload"] for button in messages[0]["buttons"]]
    assert payloads == ['/ask_topic{"topic": "cic_review"}', '/ask_topic{"topic": "family_time"}',
                        "/none_of_these"]
    assert SlotSet("fallback_stage", "offered") in events
    backup = next(e["value"] for e in events if e["name"] == "fallback_backup")
    assert "cic_review" not in backup and all(isinstance(card_id, str) for card_id in backup)


def test_none_of_these_searches_then_hands_over(carechat):
    first = with_slots(make_tracker("none of these", "none_of_these"),
                       fallback_stage="offered", fallback_backup=["care_order", "section_20"])
    messages, events = run(ActionNoneOfThese(carechat), first)
    titles = [carechat.library.cards[cid].title for cid in ("care_order", "section_20")]
    assert [b["title"] for b in messages[0]["buttons"]] == titles + ["None of these"]
    assert SlotSet("fallback_stage", "searched") in events

    second = with_slots(make_tracker("none of these", "none_of_these", metadata={"audience": "parent"}),
                        fallback_stage="searched", fallback_backup=None)
    messages, events = run(ActionNoneOfThese(carechat), second)
    assert "Family Rights Group" in messages[0]["text"] and "0808 801 0366" in messages[0]["text"]
    assert SlotSet("fallback_stage", None) in events


def test_real_person_for_a_child(carechat):
    messages, _ = run(ActionHandoff(carechat),
                      make_tracker("can i talk to a real person", "ask_real_person", metadata={"audience": "child"}))
    text = messages[0]["text"]
    assert "computer program" in text and "Your social worker" in text and "0808 800 5792" in text


def test_answering_a_topic_ends_any_fallback(carechat):
    tracker = with_slots(make_tracker("/ask_topic", "ask_topic", [{"entity": "topic", "value": "cic_review"}]),
                         fallback_stage="offered", fallback_backup=["care_order"])
    _, events = run(ActionAnswerTopic(carechat), tracker)
    assert SlotSet("fallback_stage", None) in events


def test_unsure_but_naming_one_thing_explains_that_thing(carechat, library):
    latest = make_tracker("i.c.o whats that then", "nlu_fallback", [{"entity": "term", "value": "i.c.o"}],
                          {"audience": "child"})
    latest.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.45}]
    messages, events = run(ActionFallbackOffer(carechat), latest)
    assert messages[0]["text"].startswith(short_answer(library, "interim_care_order", "child"))
    assert SlotSet("fallback_stage", None) in events


def test_out_of_scope_says_what_carechat_is_for(carechat):
    from actions.actions import ActionOutOfScope

    messages, _ = run(ActionOutOfScope(carechat), make_tracker("whats the weather", "out_of_scope"))
    assert "I can help with being in care, leaving care and family arrangements" in messages[0]["text"]
    assert all(button["payload"].startswith("/ask_topic") for button in messages[0]["buttons"])


def test_out_of_scope_naming_a_care_term_answers_it(carechat, library):
    from actions.actions import ActionOutOfScope

    tracker = make_tracker("is coram voice free to ring", "out_of_scope", [{"entity": "term", "value": "coram voice"}],
                           {"audience": "young_person"})
    messages, _ = run(ActionOutOfScope(carechat), tracker)
    assert messages[0]["text"].startswith(short_answer(library, "advocate", "young_person"))


def test_a_misread_off_topic_message_gets_the_out_of_scope_reply_with_the_guess_as_a_button(carechat, library):
    """The classifier read a spider question as "having a say": no card, a kind reply, and the
    guessed topic one tap away in case the guess was right."""
    messages, events = run(ActionAnswerTopic(carechat),
                           make_tracker("how many legs does a spider have", "ask_having_a_say"))
    assert "I can help with being in care, leaving care and family arrangements" in messages[0]["text"]
    assert library.cards["having_a_say"].title.lower() in messages[0]["text"].lower()
    assert messages[0]["buttons"][0]["payload"] == '/ask_topic{"topic": "having_a_say"}'
    assert len(messages[0]["buttons"]) == 3
    assert SlotSet("fallback_stage", None) in events


def test_a_care_question_in_new_words_is_still_answered(carechat, library):
    messages, _ = run(ActionAnswerTopic(carechat),
                      make_tracker("how can i make the adults hear my side", "ask_having_a_say"))
    assert messages[0]["text"].startswith(short_answer(library, "having_a_say", "young_person"))


def test_out_of_scope_with_an_everyday_care_phrase_offers_the_card_without_answering(carechat, library):
    from actions.actions import ActionOutOfScope

    text = next(t for t in load_training_examples()["out_of_scope"] if "stay put" in t.lower())
    tracker = make_tracker(text, "out_of_scope", [{"entity": "term", "value": "stay put"}])
    messages, _ = run(ActionOutOfScope(carechat), tracker)
    assert "I can help with being in care, leaving care and family arrangements" in messages[0]["text"]
    assert messages[0]["buttons"][0]["payload"] == '/ask_topic{"topic": "staying_put"}'
