"""The custom actions, run against a tracker with a CollectingDispatcher."""
from __future__ import annotations

import dataclasses

import pytest

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAdvocateContact, ActionAnswerTopic, ActionNextReview
from bot.assistant import SIGN_IN_OFFER, WHICH_TOPIC
from bot.personal.dates import friendly_date
from bot.personal.identity import mint_token
from tests.actions.conftest import TODAY, make_tracker, short_answer

from datetime import timedelta


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return events, dispatcher.messages


def test_what_is_an_sgo_leads_with_a_short_answer_and_its_sources(carechat, library):
    tracker = make_tracker("what is an sgo", "ask_what_is", [{"entity": "term", "value": "sgo"}],
                           {"audience": "child"})
    events, messages = run(ActionAnswerTopic(carechat), tracker)
    assert events == [SlotSet("fallback_stage", None), SlotSet("fallback_backup", None),
                      SlotSet("last_card", "special_guardianship_order")]
    assert len(messages) == 1
    text = messages[0]["text"]
    whole = library.render("special_guardianship_order", "child", "north_yorkshire").text
    assert text.startswith("A special guardianship order is a choice made by a family court judge.")
    answer, sources = text.split("\n\nSource: ")
    assert len(answer.split()) <= 60 < len(whole.split())  # a bite, not the whole card
    assert "Children Act 1989" in sources
    assert "North Yorkshire" not in text  # the council's own text waits behind "All about SGO"
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    # an order's short answer offers its follow-ups first, then the whole answer
    assert payloads[0] == '/ask_follow_up{"aspect": "how_long", "topic": "special_guardianship_order"}'
    assert payloads[-1] == '/ask_follow_up{"aspect": "more", "topic": "special_guardianship_order"}'
    assert messages[0]["buttons"][-1]["title"] == "All about SGO"


def test_the_more_button_gives_the_whole_card_with_the_councils_text(carechat, library):
    from actions.actions import ActionFollowUp

    entities = [{"entity": "aspect", "value": "more"}, {"entity": "topic", "value": "special_guardianship_order"}]
    tracker = make_tracker("/ask_follow_up", "ask_follow_up", entities, {"audience": "child"})
    events, messages = run(ActionFollowUp(carechat), tracker)
    whole = library.render("special_guardianship_order", "child", "north_yorkshire")
    assert messages[0]["text"] == f"{whole.text}\n\n{whole.source_line}"
    assert "North Yorkshire" in messages[0]["text"]
    assert SlotSet("last_card", "special_guardianship_order") in events
    assert all('"aspect": "more"' not in b["payload"] for b in messages[0]["buttons"])


@pytest.mark.parametrize("text", ["tell me more", "go on", "can you explain more"])
def test_tell_me_more_typed_after_a_short_answer_gives_the_rest(carechat, library, text):
    from actions.actions import ActionFollowUp

    tracker = make_tracker(text, "ask_follow_up")
    tracker.slots["last_card"] = "advocate"
    _, messages = run(ActionFollowUp(carechat), tracker)
    assert messages[0]["text"].startswith(library.render("advocate", "young_person", "north_yorkshire").text)


def test_a_card_that_is_not_an_order_offers_tell_me_more_then_related_topics(carechat, library):
    tracker = make_tracker("what is an advocate", "ask_what_is", [{"entity": "term", "value": "advocate"}])
    _, messages = run(ActionAnswerTopic(carechat), tracker)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles[0] == "Tell me more" and len(titles) == 3
    assert messages[0]["text"].startswith(short_answer(library, "advocate", "young_person"))


def test_the_glossary_and_short_cards_come_whole(carechat, library):
    reply = carechat.render_card("glossary", "child")
    assert reply.text.startswith(library.render("glossary", "child", "north_yorkshire").text)
    assert all('"aspect": "more"' not in b["payload"] for b in reply.buttons)


def test_audience_changes_the_version(carechat):
    entity = [{"entity": "term", "value": "special guardianship order"}]
    child = run(ActionAnswerTopic(carechat), make_tracker("x", "ask_what_is", entity, {"audience": "child"}))[1]
    parent = run(ActionAnswerTopic(carechat), make_tracker("x", "ask_what_is", entity, {"audience": "parent"}))[1]
    assert child[0]["text"] != parent[0]["text"]


def test_review_question_is_answered_from_the_intent(carechat, library):
    _, messages = run(ActionAnswerTopic(carechat), make_tracker("what happens at my review", "ask_review_meeting"))
    card = library.card_for_intent("ask_review_meeting")
    assert card is not None
    assert messages[0]["text"].startswith(short_answer(library, card.id, "young_person"))


def test_topic_button_payload_names_the_card(carechat, library):
    tracker = make_tracker("/ask_topic", "ask_topic", [{"entity": "topic", "value": "special_guardianship_order"}])
    _, messages = run(ActionAnswerTopic(carechat), tracker)
    assert messages[0]["text"].startswith(short_answer(library, "special_guardianship_order", "young_person"))


def test_unknown_term_asks_which_topic(carechat):
    tracker = make_tracker("what is a flibbertigibbet", "ask_what_is", [{"entity": "term", "value": "flibbertigibbet"}])
    assert run(ActionAnswerTopic(carechat), tracker)[1][0]["text"] == WHICH_TOPIC


def test_next_review_with_valid_token_gives_the_booked_date_and_chair(carechat, settings):
    token = mint_token("DEMO-001", settings)
    _, messages = run(ActionNextReview(carechat), make_tracker("when is my review", "ask_next_review",
                                                              metadata={"carechat_token": token}))
    text = messages[0]["text"]
    assert friendly_date(TODAY + timedelta(days=17), TODAY) in text
    assert "Demo Iris" in text


def signed_out_answer(library, card_id: str, what: str) -> tuple[str, str]:
    """The general card's text and the sign-in offer a signed-out asker gets after it."""
    return short_answer(library, card_id, "young_person"), SIGN_IN_OFFER.format(what=what)


def test_next_review_without_token_gets_how_reviews_work_and_an_offer_to_sign_in(carechat, library):
    _, messages = run(ActionNextReview(carechat), make_tracker("when is my review", "ask_next_review"))
    card_text, offer = signed_out_answer(library, "cic_review", "your own next review date")
    assert messages[0]["text"].startswith(offer)
    assert card_text in messages[0]["text"]
    assert "Demo" not in messages[0]["text"]


def test_general_review_question_gets_the_general_answer_without_a_lookup(carechat, library, settings):
    token = mint_token("DEMO-001", settings)
    general = make_tracker("how soon does a child have their first review", "ask_next_review")
    text = run(ActionNextReview(carechat), general)[1][0]["text"]
    card_text, offer = signed_out_answer(library, "cic_review", "your own next review date")
    assert text.startswith(card_text) and text.endswith(offer)
    assert "Demo Iris" not in text
    signed_in = make_tracker("how soon does a child have their first review", "ask_next_review",
                             metadata={"carechat_token": token})
    both = run(ActionNextReview(carechat), signed_in)[1][0]["text"]
    assert both.startswith(signed_out_answer(library, "cic_review", "")[0])
    assert "For you:" in both and "Demo Iris" in both


def test_a_question_naming_another_topic_gets_that_card_not_a_lookup(carechat, library, settings):
    token = mint_token("DEMO-001", settings)
    tracker = make_tracker("when is the next children in care council meeting", "ask_next_review",
                           [{"entity": "term", "value": "children in care council"}],
                           metadata={"carechat_token": token})
    text = run(ActionNextReview(carechat), tracker)[1][0]["text"]
    assert text.startswith(short_answer(library, "children_in_care_council", "young_person"))
    assert "Demo" not in text


def test_next_review_with_forged_token_reveals_nothing(carechat, settings):
    forged = mint_token("DEMO-001", dataclasses.replace(settings, token_secret="guessed-" * 6))
    _, messages = run(ActionNextReview(carechat), make_tracker("when is my review", "ask_next_review",
                                                              metadata={"carechat_token": forged}))
    assert messages[0]["text"].startswith(SIGN_IN_OFFER.format(what="your own next review date"))
    assert "Demo" not in messages[0]["text"]


def test_case_ref_typed_in_chat_is_ignored(carechat):
    tracker = make_tracker("my case ref is DEMO-001 when is my review", "ask_next_review",
                           entities=[{"entity": "case_ref", "value": "DEMO-001"}])
    text = run(ActionNextReview(carechat), tracker)[1][0]["text"]
    assert text.startswith(SIGN_IN_OFFER.format(what="your own next review date"))
    assert "Demo" not in text


def test_advocate_with_valid_token(carechat, settings):
    token = mint_token("DEMO-001", settings)
    _, messages = run(ActionAdvocateContact(carechat), make_tracker("who is my advocate", "ask_advocate_contact",
                                                                   metadata={"carechat_token": token}))
    assert "Demo Ash" in messages[0]["text"]
    assert "01632 960401" in messages[0]["text"]


def test_no_advocate_assigned_points_to_the_national_helpline(carechat, settings):
    token = mint_token("DEMO-005", settings)
    _, messages = run(ActionAdvocateContact(carechat), make_tracker("who is my advocate", "ask_advocate_contact",
                                                                   metadata={"carechat_token": token}))
    assert "0808 800 5792" in messages[0]["text"]
    assert "Demo Ash" not in messages[0]["text"]


def test_advocate_without_token_gets_how_to_get_one_and_reveals_nothing(carechat, library):
    _, messages = run(ActionAdvocateContact(carechat), make_tracker("who is my advocate", "ask_advocate_contact"))
    card_text, offer = signed_out_answer(library, "advocate", "who your own advocate is")
    assert messages[0]["text"].startswith(offer)
    assert card_text in messages[0]["text"]
    assert "Demo Ash" not in messages[0]["text"]


def test_naming_this_topic_and_another_stays_a_lookup(carechat, settings):
    token = mint_token("DEMO-001", settings)
    tracker = make_tracker("how do i contact my advocate", "ask_advocate_contact",
                           [{"entity": "term", "value": "contact"}, {"entity": "term", "value": "advocate"}],
                           metadata={"carechat_token": token})
    assert "Demo Ash" in run(ActionAdvocateContact(carechat), tracker)[1][0]["text"]


def test_general_advocate_question_from_a_signed_in_person_gets_both(carechat, library, settings):
    token = mint_token("DEMO-001", settings)
    tracker = make_tracker("how does a child in care find an advocate", "ask_advocate_contact",
                           metadata={"carechat_token": token})
    text = run(ActionAdvocateContact(carechat), tracker)[1][0]["text"]
    assert text.startswith(signed_out_answer(library, "advocate", "")[0])
    assert "For you:" in text and "Demo Ash" in text


def test_compare_action_compares_two_named_orders(carechat):
    from actions.actions import ActionCompareOrders

    tracker = make_tracker("sgo vs care order", "compare_orders",
                           [{"entity": "term", "value": "sgo"}, {"entity": "term", "value": "care order"}])
    events, messages = run(ActionCompareOrders(carechat), tracker)
    assert events == []
    assert "side by side" in messages[0]["text"]
    assert "Source:" in messages[0]["text"]


def test_a_comparison_filed_under_one_topic_still_compares(carechat):
    """DIET put "care order versus placement order" under placement orders: the reader asked for both."""
    tracker = make_tracker("care order versus placement order", "ask_placement_order",
                           [{"entity": "term", "value": "care order"}, {"entity": "term", "value": "placement order"}])
    _, messages = run(ActionAnswerTopic(carechat), tracker)
    assert "side by side" in messages[0]["text"] and "Source:" in messages[0]["text"]
    assert [b["title"] for b in messages[0]["buttons"]] == ["Care order", "Placement order"]


def test_an_unsure_comparison_still_compares(carechat):
    from actions.actions import ActionFallbackOffer

    tracker = make_tracker("whats the difference between an ico and a full care order", "nlu_fallback",
                           [{"entity": "term", "value": "ico"}, {"entity": "term", "value": "care order"}])
    _, messages = run(ActionFallbackOffer(carechat), tracker)
    assert "side by side" in messages[0]["text"]


def test_crafted_non_string_topic_is_ignored(carechat):
    tracker = make_tracker("/ask_topic", "ask_topic", [{"entity": "topic", "value": ["special_guardianship_order"]}])
    assert run(ActionAnswerTopic(carechat), tracker)[1][0]["text"] == WHICH_TOPIC


def test_privacy_action_uses_the_retention_setting(carechat, settings):
    from actions.actions import ActionPrivacy
    from bot.knowledge.about_carechat import retention_phrase

    text = run(ActionPrivacy(carechat), make_tracker("is this chat private", "ask_privacy"))[1][0]["text"]
    assert f"for {retention_phrase(settings.retention_days)}," in text


def test_what_i_can_do_action_offers_example_topics(carechat):
    from actions.actions import ActionWhatICanDo

    events, messages = run(ActionWhatICanDo(carechat), make_tracker("what can you do", "ask_what_you_can_do"))
    assert events == []
    assert "If you're signed in" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]][0].startswith("/ask_topic")


def test_personal_adviser_for_a_signed_in_care_leaver(carechat, settings):
    from actions.actions import ActionPersonalAdviserContact

    token = mint_token("DEMO-004", settings)
    tracker = make_tracker("who is my pa", "ask_personal_adviser_contact", metadata={"carechat_token": token})
    text = run(ActionPersonalAdviserContact(carechat), tracker)[1][0]["text"]
    assert "Demo Pat" in text and "07700 900301" in text


def test_personal_adviser_without_sign_in_explains_the_role_and_reveals_nothing(carechat, library):
    from actions.actions import ActionPersonalAdviserContact

    tracker = make_tracker("who is my pa", "ask_personal_adviser_contact")
    text = run(ActionPersonalAdviserContact(carechat), tracker)[1][0]["text"]
    card_text, offer = signed_out_answer(library, "personal_adviser", "who your own personal adviser is")
    assert text.startswith(offer) and card_text in text
    assert "Demo Pat" not in text


@pytest.mark.parametrize("text", ["who is my personal adviser", "how do i contact my PA", "whats my personal adviser number"])
def test_own_pa_question_on_the_pa_card_is_the_lookup(carechat, settings, text):
    """The classifier may send "who is my personal adviser" to the card: the words make it the lookup."""
    token = mint_token("DEMO-004", settings)
    tracker = make_tracker(text, "ask_personal_adviser", metadata={"carechat_token": token})
    reply = run(ActionAnswerTopic(carechat), tracker)[1][0]["text"]
    assert "Demo Pat" in reply and "07700 900301" in reply


def test_how_pas_work_stays_the_card_even_signed_in(carechat, settings, library):
    token = mint_token("DEMO-004", settings)
    tracker = make_tracker("what does my personal adviser do", "ask_personal_adviser",
                           metadata={"carechat_token": token})
    reply = run(ActionAnswerTopic(carechat), tracker)[1][0]["text"]
    assert "Demo Pat" not in reply
    assert short_answer(library, "personal_adviser", "young_person") in reply


def test_own_pa_question_on_the_card_signed_out_offers_sign_in_and_reveals_nothing(carechat, library):
    tracker = make_tracker("who is my personal adviser", "ask_personal_adviser")
    reply = run(ActionAnswerTopic(carechat), tracker)[1][0]["text"]
    card_text, offer = signed_out_answer(library, "personal_adviser", "who your own personal adviser is")
    assert reply.startswith(offer) and card_text in reply and "Demo Pat" not in reply


def follow_up_tracker(text: str, last_card: str | None, entities: list[dict] | None = None):
    tracker = make_tracker(text, "ask_follow_up", entities or [])
    tracker.slots["last_card"] = last_card
    return tracker


def test_follow_up_answers_one_fact_about_the_order_just_shown(carechat):
    from actions.actions import ActionFollowUp

    events, messages = run(ActionFollowUp(carechat), follow_up_tracker("how long does it last", "special_guardianship_order"))
    text = messages[0]["text"]
    assert text.startswith("Special guardianship order. How long it lasts: ")
    assert carechat.order_facts["special_guardianship_order"].values["how_long"] in text
    assert "Source: " in text
    assert SlotSet("last_card", "special_guardianship_order") in events
    assert all("how_long" not in b["payload"] for b in messages[0]["buttons"])


def test_follow_up_button_names_its_order_and_aspect(carechat):
    from actions.actions import ActionFollowUp

    entities = [{"entity": "aspect", "value": "how_it_ends"}, {"entity": "topic", "value": "care_order"}]
    _, messages = run(ActionFollowUp(carechat), follow_up_tracker("/ask_follow_up", "special_guardianship_order", entities))
    assert messages[0]["text"].startswith("Care order. How it ends: ")


def test_follow_up_on_a_card_that_is_not_an_order_shows_that_card_again(carechat, library):
    from actions.actions import ActionFollowUp

    _, messages = run(ActionFollowUp(carechat), follow_up_tracker("what about for my brother", "staying_put"))
    assert messages[0]["text"].startswith(library.render("staying_put", "young_person", "north_yorkshire").text)


def test_follow_up_with_nothing_shown_asks_which_topic_unless_its_aspect_has_a_card(carechat, library):
    from actions.actions import ActionFollowUp

    assert run(ActionFollowUp(carechat), follow_up_tracker("how long does it last", None))[1][0]["text"] == WHICH_TOPIC
    _, messages = run(ActionFollowUp(carechat), follow_up_tracker("can i still see my mum then", None))
    assert messages[0]["text"].startswith(short_answer(library, "family_time", "young_person"))


def test_one_order_named_after_an_order_compares_the_two(carechat):
    from actions.actions import ActionCompareOrders

    tracker = make_tracker("and adoption?", "compare_orders", [{"entity": "term", "value": "adoption"}])
    tracker.slots["last_card"] = "special_guardianship_order"
    _, messages = run(ActionCompareOrders(carechat), tracker)
    assert "side by side" in messages[0]["text"]
    assert "Special guardianship order" in messages[0]["text"] and "Adoption order" in messages[0]["text"]


def test_and_another_order_just_after_an_order_compares_the_two(carechat, library):
    adoption = [{"entity": "term", "value": "adoption"}]
    tracker = make_tracker("and adoption?", "ask_adoption_order", adoption)
    tracker.slots["last_card"] = "care_order"
    events, messages = run(ActionAnswerTopic(carechat), tracker)
    assert "side by side" in messages[0]["text"]
    assert messages[0]["text"].startswith("Care order and Adoption order")
    assert SlotSet("last_card", None) in events
    # with nothing shown before, or a whole new question, it is the card itself
    fresh = run(ActionAnswerTopic(carechat), make_tracker("and adoption?", "ask_adoption_order", adoption))[1]
    assert fresh[0]["text"].startswith(short_answer(library, "adoption_order", "young_person"))
    tracker = make_tracker("what is adoption", "ask_adoption_order", adoption)
    tracker.slots["last_card"] = "care_order"
    assert "side by side" not in run(ActionAnswerTopic(carechat), tracker)[1][0]["text"]


@pytest.mark.parametrize("intent", ["nlu_fallback", "ask_options"])
def test_and_another_order_the_classifier_was_unsure_of_still_compares(carechat, intent):
    """So short a message can drift to the fallback or another topic from one retrain to the next."""
    from actions.actions import ActionFallbackOffer

    action = ActionFallbackOffer(carechat) if intent == "nlu_fallback" else ActionAnswerTopic(carechat)
    tracker = make_tracker("and adoption?", intent, [{"entity": "term", "value": "adoption"}])
    tracker.slots["last_card"] = "care_order"
    assert run(action, tracker)[1][0]["text"].startswith("Care order and Adoption order")
    # after a card that is not an order, or a message that is not short, no comparison
    tracker.slots["last_card"] = "staying_put"
    assert "side by side" not in run(action, tracker)[1][0]["text"]


def test_and_another_order_read_as_a_follow_up_also_compares(carechat):
    from actions.actions import ActionFollowUp

    tracker = follow_up_tracker("and adoption?", "care_order", [{"entity": "term", "value": "adoption"}])
    assert run(ActionFollowUp(carechat), tracker)[1][0]["text"].startswith("Care order and Adoption order")


def test_and_another_order_the_classifier_was_unsure_of_also_compares(carechat):
    from actions.actions import ActionFallbackOffer

    tracker = make_tracker("and adoption?", "nlu_fallback", [{"entity": "term", "value": "adoption"}])
    tracker.slots["last_card"] = "care_order"
    assert run(ActionFallbackOffer(carechat), tracker)[1][0]["text"].startswith("Care order and Adoption order")
