"""Which card a parsed message is answered with (bot.knowledge.choose_card.answer_card)."""
from __future__ import annotations

import pytest

from bot.knowledge.choose_card import TRUST_TOPIC_INTENT, answer_card


def term(value: str) -> dict:
    return {"entity": "term", "value": value}


def card_id(card) -> str | None:
    return card.id if card is not None else None


def test_a_button_topic_wins_over_everything(library):
    entities = [{"entity": "topic", "value": "cic_review"}, term("sgo")]
    assert card_id(answer_card(library, "ask_family_time", entities, 0.99)) == "cic_review"


def test_what_is_uses_the_first_named_term(library):
    assert card_id(answer_card(library, "ask_what_is", [term("sgo"), term("care order")], 0.99)) == \
        "special_guardianship_order"
    assert answer_card(library, "ask_what_is", [], 0.99) is None


def test_a_confident_topic_intent_beats_a_named_term(library):
    """"Can I still see my mum now I'm adopted?" is about family time, not adoption."""
    assert card_id(answer_card(library, "ask_family_time", [term("adoption")], TRUST_TOPIC_INTENT)) == "family_time"


def test_an_unsure_topic_intent_gives_way_to_a_named_term(library):
    assert card_id(answer_card(library, "ask_family_time", [term("family group conference")], 0.6)) == \
        "family_group_conference"


def test_a_topic_intent_without_terms_answers_its_card(library):
    assert card_id(answer_card(library, "ask_staying_put", [], 0.5)) == "staying_put"


def test_unsure_with_one_named_card_answers_it_and_with_two_offers_instead(library):
    assert card_id(answer_card(library, "nlu_fallback", [term("ico")], 0.45)) == "interim_care_order"
    assert answer_card(library, "nlu_fallback", [term("ico"), term("sgo")], 0.45) is None
    assert answer_card(library, "nlu_fallback", [], 0.45) is None


def test_a_comparison_naming_one_card_explains_it(library):
    assert card_id(answer_card(library, "compare_orders", [term("epo")], 0.9)) == "emergency_protection_order"
    assert answer_card(library, "compare_orders", [term("epo"), term("sgo")], 0.9) is None


@pytest.mark.parametrize("intent", ["greet", "ask_next_review", None])
def test_intents_that_are_not_about_a_topic_answer_no_card(library, intent):
    assert answer_card(library, intent, [term("sgo")], 0.99) is None


def test_out_of_scope_naming_one_care_term_is_answered(library):
    from bot.knowledge.choose_card import SURE_OFF_TOPIC

    unsure = SURE_OFF_TOPIC - 0.05
    assert card_id(answer_card(library, "out_of_scope", [term("coram voice")], unsure)) == "advocate"
    assert answer_card(library, "out_of_scope", [], 1.0) is None


def test_unsure_but_likeliest_off_topic_is_taken_as_off_topic(library, scope):
    """"what does a promise ring mean": the fallback fired, but the likeliest guess is out of
    scope, so the everyday word "promise" does not bring the council's promise; "can i get carers
    allowance for looking after my husband" gets no card from the search backstop either."""
    from bot.knowledge.card_evidence import Evidence
    from bot.knowledge.choose_card import route
    ring = "what does a promise ring mean"
    search = (("promise_to_young_people", 0.5), ("out_of_scope", 0.49))
    off = Evidence((("nlu_fallback", 0.35), ("out_of_scope", 0.45), ("ask_promise", 0.44)), search)
    found = route(library, "nlu_fallback", [term("promise")], 0.35, ring, scope, off)
    assert found.card is None and found.off_topic and found.suggestion.id == "promise_to_young_people"
    care = Evidence((("nlu_fallback", 0.35), ("ask_promise", 0.45), ("out_of_scope", 0.44)), search)
    assert card_id(route(library, "nlu_fallback", [term("promise")], 0.35, ring, scope, care).card) == \
        "promise_to_young_people"
    allowance = Evidence((("nlu_fallback", 0.35), ("out_of_scope", 0.47), ("ask_carer_support", 0.40)),
                         (("carer_support", 0.37), ("out_of_scope", 0.36)))
    assert route(library, "nlu_fallback", [], 0.35, "can i get carers allowance for looking after my husband",
                 scope, allowance).card is None


def test_out_of_scope_for_sure_outweighs_one_care_term(library):
    """"What's the adoption rate of electric cars": DIET is certain it is off topic, so the
    out-of-scope reply, with the term's card one tap away in case it was a care question."""
    from bot.knowledge.choose_card import SURE_OFF_TOPIC, route

    found = route(library, "out_of_scope", [term("adoption")], SURE_OFF_TOPIC,
                  "whats the adoption rate of electric cars")
    assert found.card is None and found.off_topic and found.suggestion.id == "adoption_order"
    assert route(library, "out_of_scope", [term("adoption")], SURE_OFF_TOPIC - 0.01).card.id == "adoption_order"


def test_unsure_with_only_an_everyday_term_answers_only_when_the_evidence_backs_it(library):
    """"Who do I contact about my council tax" (unsure; "contact" is an everyday word): the fallback's
    buttons. "wats kinship" (unsure; "kinship" also everyday, but DIET and the search agree): the card."""
    from bot.knowledge.card_evidence import Evidence
    from bot.knowledge.choose_card import route
    from bot.knowledge.scope import build_scope

    scope = build_scope({"out_of_scope": ["my contact lenses hurt", "kinship in my sociology essay"]}, library)
    weak = Evidence((("nlu_fallback", 0.35), ("ask_care_leaver_support", 0.27)),
                    (("care_leaver", 0.28), ("family_time", 0.27)))
    found = route(library, "nlu_fallback", [term("contact")], 0.35, "who do i contact about my council tax",
                  scope, weak)
    assert found.card is None and not found.off_topic
    backed = Evidence((("nlu_fallback", 0.35), ("ask_kinship_care", 0.35)), (("kinship_care", 0.62),))
    assert route(library, "nlu_fallback", [term("kinship")], 0.35, "wats kinship", scope, backed).card.id == "kinship_care"
    # A term no off-topic example uses is answered as before, whatever the evidence.
    assert route(library, "nlu_fallback", [term("sgo")], 0.35, "sgo??", scope, weak).card.id == "special_guardianship_order"


def test_a_general_card_gives_way_to_a_named_order(library):
    """Parents' rights in general vs parents' rights under section 20: the order's card is more precise."""
    assert card_id(answer_card(library, "ask_parent_rights", [term("section 20")], 0.99)) == "section_20"
    assert card_id(answer_card(library, "ask_parent_rights", [], 0.99)) == "parental_responsibility"


def test_situation_words_do_not_override_a_topic(library):
    """"Can I get a tutor cos I'm in care": school help, not what being in care means."""
    assert card_id(answer_card(library, "ask_school_help", [term("in care")], 0.5)) == "pep"
    assert answer_card(library, "nlu_fallback", [term("in care")], 0.45) is None
    assert card_id(answer_card(library, "ask_what_is", [term("in care")], 0.99)) == "looked_after"


def test_when_the_intents_own_card_is_named_the_other_named_card_is_the_subject(library):
    entities = [term("care leavers"), term("children in care council")]
    assert card_id(answer_card(library, "ask_care_leaver_support", entities, 0.99)) == "children_in_care_council"


def test_a_topic_intent_without_a_word_of_its_topic_is_off_topic(library, scope):
    """Rule 6: "how many legs does a spider have" misread as having a say gets the out-of-scope reply."""
    from bot.knowledge.choose_card import route
    found = route(library, "ask_having_a_say", [], 0.76, "how many legs does a spider have", scope)
    assert found.card is None and found.off_topic and found.suggestion.id == "having_a_say"
    kept = route(library, "ask_having_a_say", [], 0.76, "how can i make the adults hear my side", scope)
    assert kept.card.id == "having_a_say" and not kept.off_topic
    # A named care term is our own dictionary: the check does not apply.
    named = route(library, "ask_family_time", [term("sgo")], 0.95, "sgo and my nan's spider plant", scope)
    assert named.card is not None and not named.off_topic
    # Without the text (or a scope) the rule is skipped, as before.
    assert answer_card(library, "ask_having_a_say", [], 0.76).id == "having_a_say"


def test_out_of_scope_naming_only_an_everyday_term_is_not_answered(library):
    """"How do I teach my puppy to stay put": classed out of scope, and "stay put" is a phrase our
    off-topic examples use too, so the out-of-scope reply (staying put offered as a button)."""
    from bot.knowledge.choose_card import route
    from bot.knowledge.scope import build_scope

    scope = build_scope({"out_of_scope": ["how do i get my dog to stay put"]}, library)
    found = route(library, "out_of_scope", [term("stay put")], 1.0, "how do i teach my puppy to stay put", scope)
    assert found.card is None and found.off_topic and found.suggestion.id == "staying_put"
    # A care term no off-topic example uses still answers ("is coram voice free to ring").
    kept = route(library, "out_of_scope", [term("coram voice")], 0.8, "is coram voice free to ring", scope)
    assert kept.card.id == "advocate"
