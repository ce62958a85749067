"""The guided check's adapter: button answers to facts, only the questions that matter, the answer.

The rules themselves are tested in test_care_leaver_status.py; here the point is that the chat
asks the rules (never a copy of them), skips only questions that cannot change what the person
is told, and keeps nothing but the questions' own answers.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from itertools import product

import pytest

from bot.knowledge.care_leavers import guided_check as g
from bot.knowledge.care_leavers.entitlements import entitlements_for, load_entitlements
from bot.knowledge.care_leavers.facts import Answer, CareEpisode, GuidedAnswers
from bot.knowledge.care_leavers.status import Group, Reason, birthday, decide_from_answers

Y, N, U = "yes", "no", g.NOT_SURE
CATALOGUE = load_entitlements()
TODAY = date(2026, 11, 23)


def told(slots: dict) -> tuple | None:
    """What someone is told for these slots: the possible outcomes and the entitlement lines."""
    try:
        decision = decide_from_answers(g.answers_from_slots(slots))
    except ValueError:
        return None
    return ({(o.group, o.reason, o.band) for o in decision.outcomes},
            [e.id for e in entitlements_for(decision, CATALOGUE)])


def walk(answers: dict) -> tuple[list[str], dict]:
    """Run the check as the form does: ask next_question until there is none, answering from ``answers``."""
    slots: dict = {}
    asked = []
    while (question := g.next_question(slots)) is not None:
        assert question not in asked, f"{question} asked twice"
        asked.append(question)
        slots[question] = answers[question]
    return asked, slots


def group_of(slots: dict) -> tuple[Group, Reason]:
    decision = decide_from_answers(g.answers_from_slots(slots))
    assert decision.is_certain
    (outcome,) = {(o.group, o.reason) for o in decision.outcomes}
    return outcome


# ---- answers from buttons only -----------------------------------------------------------

def test_slots_become_the_rules_facts_and_unanswered_is_not_sure() -> None:
    answers = g.answers_from_slots({g.AGE: "18_20", g.AFTER_16: Y, g.WEEKS: N})
    assert answers == GuidedAnswers(age=18, in_care_after_16=Answer.YES, thirteen_weeks_since_14=Answer.NO,
                                    still_in_care=Answer.NOT_SURE, in_education_or_training=Answer.NOT_SURE)
    assert g.answers_from_slots({g.AGE: U}).age is None
    assert g.answers_from_slots({}) == GuidedAnswers()


@pytest.mark.parametrize("band, age", [("under_16", 15), ("16_17", 16), ("18_20", 18), ("21_24", 21),
                                       ("25_plus", 25)])
def test_each_age_band_gives_the_same_decision_at_both_of_its_edges(band: str, age: int) -> None:
    """The representative age stands for the whole band: the rules only draw lines at 16, 18, 21, 25."""
    assert g.AGE_BANDS[band] == age
    last = {"under_16": 15, "16_17": 17, "18_20": 20, "21_24": 24, "25_plus": 40}[band]
    for after16, weeks, still, edu in product((Answer.YES, Answer.NO), repeat=4):
        kwargs = dict(in_care_after_16=after16, thirteen_weeks_since_14=weeks, still_in_care=still,
                      in_education_or_training=edu)
        try:
            first = decide_from_answers(GuidedAnswers(age=age, **kwargs))
        except ValueError:
            continue
        other = decide_from_answers(GuidedAnswers(age=last, **kwargs))
        assert first.outcomes == other.outcomes


def test_an_answer_is_taken_only_from_a_button_for_the_question_being_asked() -> None:
    button = [{"entity": g.AGE, "value": "18_20"}]
    assert g.answer_from_message(g.AGE, g.AGE, g.ANSWER_INTENT, button) == "18_20"
    # another question is being asked: an old button does not answer it
    assert g.answer_from_message(g.AGE, g.AFTER_16, g.ANSWER_INTENT, button) is None
    assert g.answer_from_message(g.AFTER_16, g.AFTER_16, g.ANSWER_INTENT, button) is None
    # not the answer intent (a question, small talk, a safety message)
    assert g.answer_from_message(g.AGE, g.AGE, "safeguarding_concern", button) is None


@pytest.mark.parametrize("value", ["I'm 19 and live at 4 Elm Road", "19", "", None, 19, True, ["18_20"]])
def test_a_typed_payload_with_any_other_value_is_never_kept(value) -> None:
    entities = [{"entity": g.AGE, "value": value}]
    assert g.answer_from_message(g.AGE, g.AGE, g.ANSWER_INTENT, entities) is None
    assert g.valid_answer(g.AGE, value) is None
    assert g.answers_from_slots({g.AGE: value}).age is None


def test_every_question_offers_not_sure_and_stop_and_its_buttons_answer_it() -> None:
    assert list(g.QUESTIONS) == list(g.QUESTION_ORDER)
    for slot, question in g.QUESTIONS.items():
        buttons = question.buttons()
        titles = [b["title"] for b in buttons]
        assert "Not sure" in titles and titles[-1] == "Stop", slot
        assert buttons[-1]["payload"] == f"/{g.STOP_INTENT}"
        values = set()
        for button in buttons[:-1]:
            intent, _, raw = button["payload"][1:].partition("{")
            assert intent == g.ANSWER_INTENT
            ((entity, value),) = json.loads("{" + raw).items()
            assert entity == slot and g.valid_answer(slot, value) == value
            values.add(value)
        assert values == set(question.values)


def test_the_age_question_has_every_band_that_matters() -> None:
    titles = [t for t, _ in g.QUESTIONS[g.AGE].choices]
    assert titles == ["Under 16", "16 or 17", "18 to 20", "21 to 24", "25 or over", "Not sure"]


# ---- only what the decision needs -------------------------------------------------------------

def test_nothing_answered_yet_asks_the_age_first() -> None:
    assert g.next_question({}) == g.AGE
    assert g.required_questions({}) == list(g.QUESTION_ORDER)


@pytest.mark.parametrize("band", ["under_16", "25_plus"])
def test_under_16_and_25_or_over_are_answered_straight_after_the_age(band: str) -> None:
    assert g.required_questions({g.AGE: band}) == [g.AGE]
    assert g.next_question({g.AGE: band}) is None


def test_still_in_care_is_not_asked_from_18_and_age_not_sure_asks_everything() -> None:
    assert g.STILL_IN_CARE not in g.required_questions({g.AGE: "18_20"})
    assert g.STILL_IN_CARE not in g.required_questions({g.AGE: "21_24"})
    assert g.required_questions({g.AGE: U}) == list(g.QUESTION_ORDER)


def test_not_in_care_after_16_ends_the_check_without_the_13_weeks_question() -> None:
    for band in ("16_17", "18_20", "21_24"):
        assert g.next_question({g.AGE: band, g.AFTER_16: N}) is None, band


@pytest.mark.parametrize("answers, asked, expected", [
    # eligible: 16 or 17, in care now, 13 weeks since 14 (no education question: it changes nothing)
    ({g.AGE: "16_17", g.AFTER_16: Y, g.WEEKS: Y, g.STILL_IN_CARE: Y},
     [g.AGE, g.AFTER_16, g.WEEKS, g.STILL_IN_CARE], (Group.ELIGIBLE, Reason.IN_CARE_13_WEEKS)),
    # relevant: 16 or 17, left care after being eligible
    ({g.AGE: "16_17", g.AFTER_16: Y, g.WEEKS: Y, g.STILL_IN_CARE: N},
     [g.AGE, g.AFTER_16, g.WEEKS, g.STILL_IN_CARE], (Group.RELEVANT, Reason.LEFT_CARE_AFTER_ELIGIBLE)),
    # former relevant: 18 or over, eligible or relevant before (education matters for the lines)
    ({g.AGE: "18_20", g.AFTER_16: Y, g.WEEKS: Y, g.EDUCATION: Y},
     [g.AGE, g.AFTER_16, g.WEEKS, g.EDUCATION], (Group.FORMER_RELEVANT, Reason.WAS_ELIGIBLE_OR_RELEVANT)),
    # qualifying: in care after 16 but under 13 weeks since 14 ("2 months at 16")
    ({g.AGE: "18_20", g.AFTER_16: Y, g.WEEKS: N, g.EDUCATION: N},
     [g.AGE, g.AFTER_16, g.WEEKS, g.EDUCATION], (Group.QUALIFYING, Reason.IN_CARE_AFTER_16_UNDER_13_WEEKS)),
    # in care now but not yet 13 weeks
    ({g.AGE: "16_17", g.AFTER_16: Y, g.WEEKS: N, g.STILL_IN_CARE: Y},
     [g.AGE, g.AFTER_16, g.WEEKS, g.STILL_IN_CARE],
     (Group.IN_CARE_NOT_YET_ELIGIBLE, Reason.IN_CARE_UNDER_13_WEEKS)),
    # not a care leaver: left care before 16 ("2 months in care at 15")
    ({g.AGE: "18_20", g.AFTER_16: N}, [g.AGE, g.AFTER_16],
     (Group.NOT_A_CARE_LEAVER, Reason.NOT_IN_CARE_AFTER_16)),
    # 21 to 24, qualifying before, not studying: the duties have ended
    ({g.AGE: "21_24", g.AFTER_16: Y, g.WEEKS: N, g.EDUCATION: N},
     [g.AGE, g.AFTER_16, g.WEEKS, g.EDUCATION], (Group.NOT_A_CARE_LEAVER, Reason.PAST_21_NOT_IN_EDUCATION)),
    ({g.AGE: "under_16"}, [g.AGE], (Group.NOT_A_CARE_LEAVER, Reason.UNDER_16)),
    ({g.AGE: "25_plus"}, [g.AGE], (Group.NOT_A_CARE_LEAVER, Reason.AGED_25_OR_OVER)),
])
def test_each_group_is_reached_asking_only_what_it_needs(answers: dict, asked: list, expected: tuple) -> None:
    full = {g.EDUCATION: Y, g.STILL_IN_CARE: N, **answers}
    got_asked, slots = walk(full)
    assert got_asked == asked
    assert group_of(slots) == expected


def test_skipping_a_question_never_changes_what_anyone_is_told() -> None:
    """Every combination of answers: the check's shorter path tells the person exactly what
    answering all five questions would have told them."""
    values = [Y, N, U]
    checked = 0
    for band, after16, weeks, still, edu in product(g.AGE_BANDS, values, values, values, values):
        everything = {g.AGE: band, g.AFTER_16: after16, g.WEEKS: weeks, g.STILL_IN_CARE: still, g.EDUCATION: edu}
        if told(everything) is None:  # contradictory answers: the rules refuse them
            continue
        _, slots = walk(everything)
        assert told(slots) == told(everything), everything
        checked += 1
    assert checked > 400


def test_the_rules_are_asked_not_copied() -> None:
    """The adapter holds no ages or week counts of its own beyond the band labels."""
    source = (g.__file__ and open(g.__file__, encoding="utf-8").read())
    assert "_classify" not in source and "91" not in source


# ---- the answer ---------------------------------------------------------------------------

def test_under_16_is_told_kindly_what_applies_now() -> None:
    text = g.check_answer({g.AGE: "under_16"}, "north_yorkshire")
    assert "You are not there yet, and that is fine." in text
    assert "social worker" in text and "Children Act 1989" in text
    assert "former relevant" not in text.lower()


def test_a_group_answer_says_what_it_rests_on_and_cites_the_law() -> None:
    slots = {g.AGE: "18_20", g.AFTER_16: Y, g.WEEKS: Y, g.EDUCATION: Y}
    text = g.check_answer(slots, "north_yorkshire")
    assert text.startswith("From your answers: age 18 to 20; in care on or after your 16th birthday; "
                           "in care 13 weeks or more since you turned 14; in education or training.")
    assert '"former relevant"' in text
    assert "£2,000 bursary" in text and "Higher Education Bursary" in text
    assert "North Yorkshire" in text  # the council's own offer
    assert "If you're not getting what you should" in text
    for line in text.splitlines():
        if line.startswith("- ") and "(" in line and ("Act" in line or "Regulations" in line):
            assert line.rstrip().endswith(")"), line


def test_not_sure_answers_give_the_range_and_who_can_confirm() -> None:
    slots = {g.AGE: "16_17", g.AFTER_16: Y, g.WEEKS: U, g.STILL_IN_CARE: Y}
    text = g.check_answer(slots, "north_yorkshire")
    assert "not sure if in care 13 weeks or more since you turned 14" in text
    assert "I can't tell your group for certain yet" in text
    assert '"Eligible"' in text and "Care Advice Line" in text
    assert not g.is_certain(slots) and g.is_certain({g.AGE: "under_16"})


def test_answers_that_contradict_each_other_get_a_kind_way_forward() -> None:
    slots = {g.AGE: "16_17", g.AFTER_16: N, g.STILL_IN_CARE: Y}
    assert g.check_answer(slots, "north_yorkshire") == g.ANSWERS_DONT_FIT
    assert not g.is_certain(slots)


def test_a_council_without_a_local_offer_is_not_given_one() -> None:
    text = g.check_answer({g.AGE: "16_17", g.AFTER_16: Y, g.WEEKS: Y, g.STILL_IN_CARE: N}, None)
    assert "Tell me which council looks after you" in text


def test_the_checks_own_words_invent_no_phone_number_and_stay_short() -> None:
    words = [g.INTRO, g.RECORD_NOT_AVAILABLE, g.RECORD_HAS_NO_CARE, g.RECORD_NOT_USABLE, g.ANSWERS_DONT_FIT,
             *(q.text for q in g.QUESTIONS.values())]
    for text in words:
        assert not re.search(r"\d{4} ?\d{3} ?\d{3,4}", text), text
        for sentence in re.split(r"(?<=[.?!])\s+", text):
            assert len(sentence.split()) <= 25, sentence


# ---- a signed-in care leaver: the record ------------------------------------------------------

DOB = date(2006, 6, 15)


def test_the_record_answer_says_which_facts_it_used() -> None:
    b14, b18 = birthday(DOB, 14), birthday(DOB, 18)
    episodes = [CareEpisode(b14 + timedelta(days=30), b14 + timedelta(days=400), "s20"),
                CareEpisode(b14 + timedelta(days=400), b18, "s31")]
    text = g.record_answer(DOB, episodes, TODAY, "north_yorkshire")
    assert text.startswith("I worked this out from your council record, without asking you questions.")
    assert "your date of birth (you are 20)" in text
    assert f"from {(b14 + timedelta(days=30)).day} {(b14 + timedelta(days=30)):%B %Y}" in text
    assert "accommodated by agreement (section 20)" in text and "care order (section 31)" in text
    weeks = ((b18 - b14).days - 30) // 7
    assert f"that adds up to {weeks} weeks in care since your 14th birthday (13 weeks is the line)" in text
    assert '"former relevant"' in text
    assert "ask your personal adviser or the leaving care team to check your record" in text


def test_an_open_episode_and_an_order_that_is_not_care_are_described() -> None:
    b16 = birthday(DOB, 16)
    episodes = [CareEpisode(b16 - timedelta(days=200), b16 + timedelta(days=10), "s20"),
                CareEpisode(b16 + timedelta(days=10), None, "sgo")]
    text = g.record_answer(DOB, episodes, TODAY, "north_yorkshire")
    assert "and still going: special guardianship order" in text
    assert "is not time in care, so it is not counted" in text


def test_a_record_the_rules_refuse_raises_so_the_questions_are_asked_instead() -> None:
    with pytest.raises(ValueError):
        g.record_answer(DOB, [CareEpisode(date(2022, 5, 1), date(2022, 4, 1), "s20")], TODAY, None)
    with pytest.raises(ValueError):
        g.record_answer(DOB, [CareEpisode(date(2022, 5, 1), None, "made_up")], TODAY, None)
