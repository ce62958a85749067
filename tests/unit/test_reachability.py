"""Every topic can be reached by NLU, and every topic intent has a card that answers it."""
from __future__ import annotations

from collections import Counter

import yaml

from bot.knowledge.card_loader import load_library
from bot.settings import PROJECT_ROOT

#: Intents action_answer_topic serves through entities rather than a card of their own.
ENTITY_INTENTS = {"ask_what_is", "ask_topic"}
MIN_EXAMPLES = 20


def rules_answering_topics() -> set[str]:
    rules = yaml.safe_load((PROJECT_ROOT / "data" / "rules" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    intents = set()
    for rule in rules:
        steps = rule["steps"]
        for first, second in zip(steps, steps[1:]):
            if second.get("action") == "action_answer_topic" and "intent" in first:
                intents.add(first["intent"])
    return intents


def example_counts() -> Counter:
    counts: Counter = Counter()
    for path in (PROJECT_ROOT / "data" / "nlu").glob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" in block:
                counts[block["intent"]] += sum(1 for line in (block.get("examples") or "").splitlines()
                                               if line.strip().startswith("- "))
    return counts


def test_every_topic_intent_has_exactly_one_card():
    library = load_library()
    for intent in rules_answering_topics() - ENTITY_INTENTS:
        owners = [card.id for card in library.cards.values() if intent in card.intents]
        assert len(owners) == 1, f"{intent} is answered by {owners or 'no card'}"


def test_every_card_intent_is_in_the_domain_with_enough_examples():
    library = load_library()
    domain_intents = set(yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    counts = example_counts()
    answered = rules_answering_topics()
    for card in library.cards.values():
        for intent in card.intents:
            assert intent in domain_intents, f"{card.id}: {intent} not in domain.yml"
            assert intent in answered, f"{card.id}: no rule sends {intent} to action_answer_topic"
            assert counts[intent] >= MIN_EXAMPLES, f"{intent}: only {counts[intent]} training examples"


def test_every_card_can_be_named_or_asked_about():
    library = load_library()
    for card in library.cards.values():
        assert card.aliases or card.intents, f"{card.id} is unreachable: no aliases and no intent"


def test_what_is_questions_are_trained():
    assert example_counts()["ask_what_is"] >= 40
