"""The held-out set is fit for purpose: big enough, valid, and never trained on."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.evaluation.leaks import normalise
from bot.evaluation.nlu_leaks import leaked_examples
from bot.knowledge.card_loader import load_library
from bot.settings import PROJECT_ROOT

HOLDOUT_DIR = PROJECT_ROOT / "tests" / "nlu_holdout"
BLIND_DIR = PROJECT_ROOT / "tests" / "nlu_blind"
NLU_DIR = PROJECT_ROOT / "data" / "nlu"
MIN_PER_CARD = 5
MIN_OUT_OF_SCOPE = 50


def holdout_items(*dirs: Path) -> list[dict]:
    items = []
    for path in sorted(p for d in (dirs or (HOLDOUT_DIR,)) for p in d.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items.append({**item, "file": path.name})
    return items


def training_texts() -> set[str]:
    texts = set()
    for path in NLU_DIR.glob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.add(normalise(line[2:]))
    return texts


def domain_intents() -> set[str]:
    return set(yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])


def test_every_item_says_what_it_expects():
    library = load_library()
    intents = domain_intents()
    for item in holdout_items(HOLDOUT_DIR, BLIND_DIR):
        where = f"{item['file']}: {item.get('text')!r}"
        assert isinstance(item.get("text"), str) and item["text"].strip(), where
        expected = [key for key in ("card", "compare", "intent") if key in item]
        assert len(expected) == 1, f"{where} needs exactly one of card, compare, intent"
        if "card" in item:
            assert item["card"] in library.cards, f"{where}: unknown card"
        elif "compare" in item:
            assert len(item["compare"]) == 2 and all(c in library.cards for c in item["compare"]), where
        else:
            assert item["intent"] in intents, f"{where}: unknown intent"


def test_every_card_has_enough_held_out_messages():
    counts = Counter(item["card"] for item in holdout_items() if "card" in item)
    short = {card: counts[card] for card in load_library().cards if counts[card] < MIN_PER_CARD}
    assert not short, f"cards with fewer than {MIN_PER_CARD} held-out messages: {short}"


def test_out_of_scope_set_is_big_enough():
    count = sum(1 for item in holdout_items() if item.get("intent") == "out_of_scope")
    assert count >= MIN_OUT_OF_SCOPE


def test_no_held_out_message_is_in_the_training_data():
    trained = training_texts()
    leaked = [item["text"] for item in holdout_items(HOLDOUT_DIR, BLIND_DIR) if normalise(item["text"]) in trained]
    assert not leaked, f"{len(leaked)} held-out messages also in data/nlu (python -m bot.evaluation.nlu_leaks)"


def test_no_training_example_is_a_near_copy_of_a_held_out_message():
    """Within a typo or a word order counts too; the report names files, never blind text."""
    leaked = leaked_examples()
    assert not leaked, f"{len(leaked)} examples: run python -m bot.evaluation.nlu_leaks --drop"


def test_the_leak_check_can_see_training_text():
    assert "what does sgo mean" in training_texts()


@pytest.mark.parametrize("text, expected", [("what's an [SGO](term)?", "what s an sgo")])
def test_normalise_strips_annotations(text, expected):
    assert normalise(text) == expected


def test_the_blind_sets_are_there_and_big_enough():
    """The blind sets (tests/nlu_blind/README.md), each with at least 50 out-of-scope messages."""
    for name in ("dev.yml", "final.yml", "final_3.yml", "final_4.yml", "final_5.yml", "final_6.yml"):
        items = holdout_items_of(BLIND_DIR / name)
        assert sum(1 for i in items if i.get("intent") == "out_of_scope") >= 50, name
        assert sum(1 for i in items if "card" in i) >= 80, name


def holdout_items_of(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []
