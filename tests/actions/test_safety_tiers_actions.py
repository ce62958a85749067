"""The two safety tiers as Rasa runs them: tracker in, messages and events out."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import (OUTCOME_SLOT, ActionAnswerTopic, ActionFallbackOffer, ActionOutOfScope,
                             ActionSafetyReply, follows_bot_turn)
from bot.safeguarding import decision
from tests.actions.conftest import make_tracker


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def flagged(text: str, tier: str, category: str = "suicide", intent: str = "safeguarding_concern",
            audience: str = "young_person") -> Tracker:
    tracker = make_tracker(text, intent, metadata={"audience": audience})
    tracker.latest_message["safeguarding"] = {"tier": tier, "category": category, "source": "lexicon",
                                              "rule": "x"}
    return tracker


def with_history(tracker: Tracker, events: list[dict]) -> Tracker:
    return Tracker(tracker.sender_id, {}, tracker.latest_message, events, False, None, {}, "action_listen")


def test_clear_risk_gets_the_full_reply_and_is_counted(carechat):
    messages, events = run(ActionSafetyReply(carechat), flagged("i want to kill myself", "risk"))
    text = messages[0]["text"]
    assert "999" in text and "0800 1111" in text and "116 123" in text
    assert not messages[0].get("buttons")
    assert SlotSet(OUTCOME_SLOT, "risk/suicide") in events


def test_possible_risk_gets_the_check_in_with_contacts_and_two_answers(carechat):
    messages, events = run(ActionSafetyReply(carechat), flagged("nobody would notice if i was gone",
                                                                "check_in"))
    text = messages[0]["text"]
    assert "Are you safe right now?" in text and "999" in text and "0800 1111" in text
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/safety_ok", "/safety_not_ok"]
    assert SlotSet(OUTCOME_SLOT, "check_in/suicide") in events


def test_check_in_speaks_to_a_worried_adult_as_an_adult(carechat):
    messages, _ = run(ActionSafetyReply(carechat), flagged("my niece flinches", "check_in",
                                                           "worried_about_someone", audience="parent"))
    assert "0808 800 5000" in messages[0]["text"] and "Is the child" in messages[0]["text"]


def test_not_safe_and_help_now_always_get_the_full_reply(carechat):
    for intent in ("safety_not_ok", "get_help_now"):
        messages, events = run(ActionSafetyReply(carechat), make_tracker("x", intent))
        assert "116 123" in messages[0]["text"] and not messages[0].get("buttons")
        assert SlotSet(OUTCOME_SLOT, f"risk/{intent}") in events


def _scored(text: str, intent: str, score: float) -> Tracker:
    tracker = make_tracker(text, intent)
    tracker.latest_message["safeguarding_score"] = {"score": score, "category": "suicide"}
    return tracker


BOT_TURN = [{"event": "user", "text": "when is my review"}, {"event": "bot", "text": "..."},
            {"event": "user", "text": "wont be there for it"}]


def test_follows_bot_turn_reads_the_history():
    assert follows_bot_turn(with_history(make_tracker("x", "greet"), BOT_TURN))
    assert not follows_bot_turn(with_history(make_tracker("x", "greet"), [{"event": "user", "text": "hi"}]))
    restarted = [{"event": "bot", "text": "..."}, {"event": "session_started"}, {"event": "user", "text": "x"}]
    assert not follows_bot_turn(with_history(make_tracker("x", "greet"), restarted))


def test_short_dark_reply_after_an_answer_gets_the_check_in(carechat):
    tracker = with_history(_scored("wont be there for it", "ask_review_meeting", decision.CONTEXT_SCORE), BOT_TURN)
    messages, events = run(ActionAnswerTopic(carechat), tracker)
    assert "Are you safe right now?" in messages[0]["text"]
    assert SlotSet(OUTCOME_SLOT, "check_in/suicide") in events


def test_same_reply_with_no_turn_before_it_gets_the_ordinary_answer(carechat):
    tracker = _scored("what happens at a review", "ask_review_meeting", decision.CONTEXT_SCORE)
    messages, events = run(ActionAnswerTopic(carechat), tracker)
    assert "Are you safe" not in messages[0]["text"]
    assert not any(e.get("name") == OUTCOME_SLOT for e in events)


def test_distress_is_checked_not_turned_away_as_off_topic(carechat):
    for action, intent in ((ActionOutOfScope(carechat), "out_of_scope"),
                           (ActionFallbackOffer(carechat), "nlu_fallback")):
        tracker = _scored("everything is pointless", intent, decision.TURNED_AWAY_SCORE)
        messages, events = run(action, tracker)
        assert "Are you safe right now?" in messages[0]["text"], intent
        low = _scored("what is the capital of peru", intent, 0.01)
        messages, _ = run(action, low)
        assert "Are you safe" not in messages[0]["text"]


def _checked_in(text: str, asked: str, audience: str = "child") -> Tracker:
    tracker = flagged(text, "check_in", "unspecified", audience=audience)
    tracker.latest_message["safeguarding"]["asked"] = {"name": asked, "confidence": 0.8}
    return tracker


def test_check_in_comes_first_then_the_question_it_interrupted(carechat):
    from actions.actions import LAST_CARD_SLOT

    tracker = _checked_in("i dont want to go to contact with my dad anymore do i have to", "ask_family_time")
    messages, events = run(ActionSafetyReply(carechat), tracker)
    assert len(messages) == 2
    assert "Are you safe right now?" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/safety_ok", "/safety_not_ok"]
    assert messages[1]["text"].startswith("About what you asked:")
    assert carechat.render_card("family_time", "child").text in messages[1]["text"]
    assert SlotSet(OUTCOME_SLOT, "check_in/unspecified") in events
    assert SlotSet(LAST_CARD_SLOT, "family_time") in events  # so "how often?" next knows its subject


def test_full_safety_reply_is_never_followed_by_an_answer(carechat):
    tracker = _checked_in("i dont want to go to contact with my dad anymore he hits me", "ask_family_time")
    tracker.latest_message["safeguarding"]["tier"] = "risk"
    messages, _ = run(ActionSafetyReply(carechat), tracker)
    assert len(messages) == 1 and "116 123" in messages[0]["text"]


def test_check_in_without_a_topic_question_stands_alone(carechat):
    messages, events = run(ActionSafetyReply(carechat), _checked_in("nobody would notice if i was gone",
                                                                    "safeguarding_concern"))
    assert len(messages) == 1 and "Are you safe right now?" in messages[0]["text"]
    assert all(e.get("name") != "last_card" for e in events)
