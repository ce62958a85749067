"""Local offers and the plain-words answer: council facts are sourced, silence is said, nothing invented.

These tests read only the repository (never /work/shared): CI runs on a fresh clone.
"""
from __future__ import annotations

import re

import pytest
import yaml

from bot.knowledge import helplines
from bot.knowledge.care_leavers.entitlements import entitlements_for, load_entitlements
from bot.knowledge.care_leavers.explain import ACRONYMS, explain
from bot.knowledge.care_leavers.facts import Answer, GuidedAnswers
from bot.knowledge.care_leavers.local_offer import load_local_offers, parse_local_offers
from bot.knowledge.care_leavers.status import decide_from_answers
from bot.knowledge.councils import load_councils
from bot.settings import PROJECT_ROOT

Y, N, U = Answer.YES, Answer.NO, Answer.NOT_SURE
CONTENT = PROJECT_ROOT / "content"
OFFERS = load_local_offers()
COUNCILS = load_councils(CONTENT)
SEED_FILE = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


def council_sources() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for path in [CONTENT / "sources.yml", *sorted((CONTENT / "sources.d").glob("*.yml"))]:
        found.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return found


def former_relevant() -> GuidedAnswers:
    return GuidedAnswers(age=19, in_care_after_16=Y, thirteen_weeks_since_14=Y, in_education_or_training=N)


# ---- the data -------------------------------------------------------------------------------

def test_local_offers_cover_exactly_the_known_councils() -> None:
    assert set(OFFERS) == set(COUNCILS)


def test_every_fact_names_a_document_of_its_own_council() -> None:
    sources = council_sources()
    for council_id, offer in OFFERS.items():
        for doc_id, document in offer.documents.items():
            assert doc_id in COUNCILS[council_id].documents, f"{council_id}: {doc_id} not in the council profile"
            assert sources[doc_id]["council"] == council_id
            assert document.title.strip()
            assert SEED_FILE.match(document.seed_file), document.seed_file
        for fact in offer.facts:
            assert fact.document and fact.document in offer.documents, fact
            assert fact.text.strip()


def test_each_document_is_read_from_its_own_seed_file() -> None:
    seed_files = [d.seed_file for offer in OFFERS.values() for d in offer.documents.values()]
    assert len(seed_files) == len(set(seed_files))


def test_local_facts_hold_no_phone_numbers() -> None:
    for offer in OFFERS.values():
        for fact in offer.facts:
            assert not re.search(r"\d{3,}", fact.text), fact.text


def test_a_fact_naming_another_councils_document_is_refused() -> None:
    raw = {"topics": {"housing": "housing"},
           "councils": {"durham": {"documents": {"durham_doc": {"title": "D", "seed_file": "004_x.txt"}},
                                   "facts": [{"topic": "housing", "text": "x", "document": "nycc_doc"}]}}}
    with pytest.raises(ValueError, match="not one of this council's documents"):
        parse_local_offers(raw)


def test_a_fact_without_a_document_is_refused() -> None:
    raw = {"topics": {"housing": "housing"},
           "councils": {"durham": {"documents": {"durham_doc": {"title": "D", "seed_file": "004_x.txt"}},
                                   "facts": [{"topic": "housing", "text": "x", "document": ""}]}}}
    with pytest.raises(ValueError, match="needs a topic, a text and a document"):
        parse_local_offers(raw)


def test_silence_is_recorded_where_the_documents_say_nothing() -> None:
    assert "worker" in OFFERS["calderdale"].silent_topics()
    assert "worker" not in OFFERS["north_yorkshire"].silent_topics()
    assert "education_work" in OFFERS["durham"].silent_topics()


# ---- the plain-words answer ------------------------------------------------------------------

def test_answer_names_the_group_and_every_line_with_its_source() -> None:
    decision = decide_from_answers(former_relevant())
    text = explain(decision, "north_yorkshire", offers=OFFERS, councils=COUNCILS)
    assert '"former relevant"' in text
    for line in entitlements_for(decision, load_entitlements()):
        assert f"({line.source})" in text


def test_each_acronym_is_explained_the_first_time_it_appears() -> None:
    text = explain(decide_from_answers(former_relevant()), "north_yorkshire", offers=OFFERS, councils=COUNCILS)
    for short, meaning in ACRONYMS.items():
        first = re.search(rf"\b{short}s?\b", text)
        if first:
            around = text[max(0, first.start() - len(meaning) - 3):first.end() + len(meaning) + 3]
            assert meaning in around, f"{short} first used without saying what it means"


def test_local_facts_stay_with_their_council() -> None:
    durham = explain(decide_from_answers(former_relevant()), "durham", offers=OFFERS, councils=COUNCILS)
    assert "Gold Band" not in durham and "Durham" in durham
    assert "don't say anything about" in durham and "leaving care team" in durham


def test_unknown_council_asks_which_and_invents_nothing() -> None:
    text = explain(decide_from_answers(former_relevant()), None, offers=OFFERS, councils=COUNCILS)
    assert "which council" in text and "Gold Band" not in text


def test_only_known_numbers_appear() -> None:
    allowed = set(helplines.NATIONAL_DIGITS) | {
        c.phone.replace(" ", "") for p in COUNCILS.values() for c in p.contacts.values() if c.phone}
    for council_id in [None, *COUNCILS]:
        for answers in (former_relevant(), GuidedAnswers(age=15), GuidedAnswers()):
            text = explain(decide_from_answers(answers), council_id, offers=OFFERS, councils=COUNCILS)
            for run in re.findall(r"\d[\d ]{5,}\d", text):
                assert run.replace(" ", "") in allowed, run


def test_not_sure_answer_gives_the_range_and_who_can_confirm() -> None:
    decision = decide_from_answers(GuidedAnswers(age=17, in_care_after_16=Y, thirteen_weeks_since_14=U,
                                                 still_in_care=N))
    text = explain(decision, "calderdale", offers=OFFERS, councils=COUNCILS)
    assert '"Relevant"' in text and '"Qualifying"' in text
    assert "leaving care team" in text and "Become" in text
    assert "Whichever group you are in" in text


def test_under_16_answer_is_kind_and_names_who_helps_now() -> None:
    text = explain(decide_from_answers(GuidedAnswers(age=14)), "north_yorkshire", offers=OFFERS, councils=COUNCILS)
    assert "not there yet" in text
    for who in ("social worker", "IRO (independent reviewing officer)", "advocate", "reviews"):
        assert who in text
    assert "Gold Band" not in text  # no leaving care offer for a 14-year-old


def test_what_if_not_getting_it_is_always_there() -> None:
    for answers in (former_relevant(), GuidedAnswers(age=14), GuidedAnswers(age=17, in_care_after_16=N, adopted=Y)):
        text = explain(decide_from_answers(answers), "durham", offers=OFFERS, councils=COUNCILS)
        assert "If you're not getting what you should" in text and "complaint" in text and "999" in text


def test_adoption_answer_points_to_adoption_support_not_a_pa() -> None:
    text = explain(decide_from_answers(GuidedAnswers(age=17, in_care_after_16=N, adopted=Y)), "durham",
                   offers=OFFERS, councils=COUNCILS)
    assert "Adoption support" in text and "adoption support service" in text
    assert "pathway plan" not in text


def test_staying_close_is_never_called_in_force() -> None:
    text = explain(decide_from_answers(former_relevant()), "north_yorkshire", offers=OFFERS, councils=COUNCILS)
    assert "staying close" in text and "being brought in" in text
