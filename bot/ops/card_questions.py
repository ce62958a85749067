"""Turn the blind writers' card questions into Rasa training data, one intent per card.

Why: people describe things instead of naming them ("the court paper that means I live with
nan now"). Each card therefore has an intent of its own, trained on questions written by
several writers in many voices (``content/card_questions/*.tsv``: card id, voice, text). The
TSVs stay the source a content writer edits; ``data/nlu/card_questions.yml`` is generated from
them (``python -m bot.ops.card_questions``) so that ``rasa train`` and ``rasa data validate``
see ordinary Rasa data, and a unit test fails when the two drift apart.

A card that already has a topic intent (``intents:`` in its YAML) gets its questions under that
intent; the others use ``ask_<card id>``, which their card lists.
"""
from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

from bot.settings import PROJECT_ROOT

QUESTIONS_DIR = PROJECT_ROOT / "content" / "card_questions"
OUTPUT = PROJECT_ROOT / "data" / "nlu" / "card_questions.yml"
HEADER = (
    'version: "3.1"\n'
    "# GENERATED from content/card_questions/*.tsv by `python -m bot.ops.card_questions`.\n"
    "# Do not edit: add questions to the TSVs (card id, voice, text) and run the command.\n"
    "# One intent per card; the card's `intents:` in content/cards names it.\n"
    "nlu:\n"
)


def card_intent(card_id: str, card_intents: tuple[str, ...]) -> str:
    """The intent a card's questions are trained under."""
    return card_intents[0] if card_intents else f"ask_{card_id}"


def hand_written_examples(nlu_dir: Path = OUTPUT.parent) -> set[str]:
    """Every example (lower case) in the other NLU files: Rasa refuses one text under two intents."""
    from bot.knowledge.scope import load_training_examples

    return {text.lower() for texts in load_training_examples(nlu_dir, skip=OUTPUT.name).values() for text in texts}


def read_questions(folder: Path = QUESTIONS_DIR, already: set[str] = frozenset()) -> dict[str, list[str]]:
    """Card id -> its questions, in file order; duplicates and texts in ``already`` left out."""
    questions: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set(already)
    for path in sorted(folder.glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) != 3 or not row[2].strip():
                    continue
                card_id, text = row[0].strip(), " ".join(row[2].split())
                if text.lower() in seen:
                    continue
                seen.add(text.lower())
                questions[card_id].append(text)
    return dict(questions)


def _yaml_line(text: str) -> str:
    """One example line; Rasa reads the block as plain text, so only brackets need escaping."""
    return "    - " + text.replace("[", "(").replace("]", ")")


def render(questions: dict[str, list[str]], intents_by_card: dict[str, tuple[str, ...]]) -> str:
    """The generated NLU file's text (stable order: by card id, then file order)."""
    unknown = sorted(set(questions) - set(intents_by_card))
    if unknown:
        raise ValueError(f"card_questions name cards that do not exist: {', '.join(unknown)}")
    parts = [HEADER]
    for card_id in sorted(questions):
        parts.append(f"- intent: {card_intent(card_id, intents_by_card[card_id])}\n  examples: |\n")
        parts.extend(_yaml_line(text) + "\n" for text in questions[card_id])
    return "".join(parts)


def expected_text() -> str:
    """What ``data/nlu/card_questions.yml`` should contain for today's TSVs and cards."""
    from bot.knowledge.card_loader import load_library

    library = load_library()
    questions = read_questions(already=hand_written_examples())
    return render(questions, {cid: card.intents for cid, card in library.cards.items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the generated file is stale")
    args = parser.parse_args(argv)
    text = expected_text()
    if args.check:
        stale = not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text
        print(f"{OUTPUT.relative_to(PROJECT_ROOT)} is {'stale: run python -m bot.ops.card_questions' if stale else 'up to date'}")
        return 1 if stale else 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
