"""The actions pass the card search's evidence through (bot.knowledge.card_evidence)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAnswerTopic, ActionFallbackOffer
from bot.assistant import OUT_OF_SCOPE_TEXT
from bot.knowledge.card_evidence import CARD_SEARCH_KEY


def tracker_with(text: str, intent: str, confidence: float, ranking: list[tuple[str, float]],
                 search: list[tuple[str, float]]) -> Tracker:
    """A tracker whose latest message carries DIET's ranking and the card search, as Rasa sends them."""
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": [],
              "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
              CARD_SEARCH_KEY: [{"card": c, "score": s} for c, s in search], "metadata": {}}
    return Tracker("test-user", {}, latest, [], False, None, {}, "action_listen")


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return events, dispatcher.messages


def test_a_misspelt_name_gets_its_card_instead_of_the_menu(carechat):
    tracker = tracker_with("wat is residenshal care", "nlu_fallback", 0.45,
                           [("nlu_fallback", 0.45), ("ask_residential_care", 0.32)], [("residential_care", 0.52)])
    events, messages = run(ActionFallbackOffer(carechat), tracker)
    assert SlotSet("last_card", "residential_care") in events  # the card was shown, not the menu
    assert SlotSet("fallback_stage", None) in events and len(messages) == 1


def test_an_unsure_guess_the_search_barely_matches_gets_the_out_of_scope_reply_with_the_guess_offered(carechat):
    tracker = tracker_with("any special offers for carers on trainers this weekend", "ask_carer_support", 0.8,
                           [("ask_carer_support", 0.8), ("out_of_scope", 0.15)], [("carer_support", 0.12)])
    _, messages = run(ActionAnswerTopic(carechat), tracker)
    assert messages[0]["text"].startswith(OUT_OF_SCOPE_TEXT)
    assert any("carer_support" in b["payload"] for b in messages[0]["buttons"])


def test_a_long_story_the_search_barely_matches_still_gets_its_card_when_off_topic_is_unlikely(carechat):
    """A parent's story matches no card's words well; nothing in the ranking says off topic."""
    tracker = tracker_with("I've been on the parenting course and got a new flat. Can my son come home now?",
                           "ask_placement_with_parents", 0.56,
                           [("ask_placement_with_parents", 0.56), ("ask_section_20", 0.11)],
                           [("section_20", 0.22), ("placement_with_parents", 0.2)])
    events, messages = run(ActionAnswerTopic(carechat), tracker)
    assert not messages[0]["text"].startswith(OUT_OF_SCOPE_TEXT)
    assert SlotSet("last_card", "placement_with_parents") in events


def test_the_weighed_evidence_picks_the_card_the_message_is_about(carechat):
    """"How do they find a new family for a child who is going to be adopted": family finding."""
    tracker = tracker_with("how do they find a new family for a child who is going to be adopted",
                           "ask_family_finding", 0.94, [("ask_family_finding", 0.94), ("ask_adoption_order", 0.03)],
                           [("family_finding", 0.45), ("adoption_order", 0.31)])
    tracker.latest_message["entities"] = [{"entity": "term", "value": "adopted"}]
    events, _ = run(ActionAnswerTopic(carechat), tracker)
    assert SlotSet("last_card", "family_finding") in events


def test_an_unsure_question_for_ones_own_record_on_a_named_card_is_the_lookup(carechat, settings):
    """"who is my advocate": DIET torn between the advocate card (0.369) and the lookup (0.393), so
    the fallback; it names the advocate card and asks who, so a signed-in person gets their own."""
    from bot.personal.identity import mint_token

    ranking = [("nlu_fallback", 0.35), ("ask_advocate_contact", 0.393), ("ask_advocate", 0.369)]
    signed_in = tracker_with("who is my advocate", "nlu_fallback", 0.35, ranking, [("advocate", 0.56)])
    signed_in.latest_message["entities"] = [{"entity": "term", "value": "advocate"}]
    signed_in.latest_message["metadata"] = {"carechat_token": mint_token("DEMO-001", settings)}
    _, messages = run(ActionFallbackOffer(carechat), signed_in)
    assert "Demo Ash" in messages[0]["text"]
    signed_out = tracker_with("who is my advocate", "nlu_fallback", 0.35, ranking, [("advocate", 0.56)])
    signed_out.latest_message["entities"] = [{"entity": "term", "value": "advocate"}]
    _, messages = run(ActionFallbackOffer(carechat), signed_out)
    assert "Demo" not in messages[0]["text"] and "not signed in" in messages[0]["text"]
