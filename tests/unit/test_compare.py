"""Comparing two orders from the structured facts table."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.assistant import WHICH_TWO, CareChat
from bot.knowledge.bites import lead_of
from bot.knowledge.comparisons import ATTRIBUTES, check_order_facts, load_order_facts
from bot.settings import load_settings


@pytest.fixture(scope="module")
def facts():
    return load_order_facts()


@pytest.fixture(scope="module")
def carechat(library, facts):
    return CareChat(load_settings({}), library, order_facts=facts)


def terms(*values: str) -> list[dict]:
    return [{"entity": "term", "value": v} for v in values]


def test_real_facts_pass_the_check(library, facts):
    assert len(facts) >= 3
    assert check_order_facts(facts, library) == []


def test_every_pair_can_be_compared_in_both_orders(carechat, facts):
    ids = list(facts)
    for first in ids:
        for second in ids:
            if first == second:
                continue
            text = carechat.compare_orders([{"entity": "topic", "value": first},
                                            {"entity": "topic", "value": second}]).text
            assert text.index(facts[first].values["how_long"]) < text.index(facts[second].values["how_long"])
            for _, heading in ATTRIBUTES:
                assert heading in text
            assert "Source:" in text


def test_sgo_vs_care_order_from_how_people_type_it(carechat, facts):
    reply = carechat.compare_orders(terms("sgo", "care order"))
    assert facts["special_guardianship_order"].values["looked_after"] in reply.text
    assert facts["care_order"].values["looked_after"] in reply.text
    assert "Children Act 1989" in reply.text
    assert {b["title"] for b in reply.buttons} == {"Special guardianship order", "Care order"}


def test_same_order_twice_explains_that_order(carechat, library):
    reply = carechat.compare_orders(terms("sgo", "special guardianship order"), "parent")
    assert reply.text.startswith(lead_of(library.card("special_guardianship_order").versions["parent"]))


def test_one_order_explains_it(carechat, library):
    """"How long does an EPO last" can look like a comparison; answering the one order named helps."""
    reply = carechat.compare_orders(terms("epo"), "child")
    assert reply.text.startswith(lead_of(library.card("emergency_protection_order").versions["child"]))


def test_no_order_asks_which_two(carechat):
    assert carechat.compare_orders([]).text == WHICH_TWO


def test_order_without_facts_says_so_and_lists_what_it_can_compare(carechat, library, facts):
    no_facts = next((cid for cid in library.cards if cid not in facts), None)
    if no_facts is None:
        pytest.skip("every card has comparison facts")
    reply = carechat.compare_orders([{"entity": "topic", "value": "special_guardianship_order"},
                                     {"entity": "topic", "value": no_facts}])
    assert "can't compare" in reply.text
    assert facts["special_guardianship_order"].short in reply.text


def test_missing_field_is_reported(tmp_path: Path):
    broken = tmp_path / "order_facts.yml"
    broken.write_text("care_order:\n  short: care order\n  sources: [children_act_1989_s31]\n")
    with pytest.raises(ValueError, match="care_order is missing parental_responsibility"):
        load_order_facts(broken)


def test_check_finds_unknown_card_and_local_source(library, tmp_path: Path):
    fields = "".join(f"  {key}: x\n" for key, _ in ATTRIBUTES)
    path = tmp_path / "order_facts.yml"
    path.write_text(f"made_up_order:\n  short: m\n  sources: [nycc_permanency_strategy_2022, nope]\n{fields}")
    problems = check_order_facts(load_order_facts(path), library)
    assert any("made_up_order has no card" in p for p in problems)
    assert any("cites a council document" in p for p in problems)
    assert any("unknown source nope" in p for p in problems)


def test_situation_words_are_not_compared(carechat, library):
    """"sgo vs care order for a kid in care" compares the two orders, not "in care"."""
    reply = carechat.compare_orders(terms("sgo", "in care", "care order"))
    assert {b["title"] for b in reply.buttons} == {"Special guardianship order", "Care order"}
