"""Our own words: no card text may copy a run of words from the councils' source documents.

Facts come from the sources, sentences do not. A run of RUN_WORDS words that also appears in a
seed document is treated as a pasted sentence. The seeds live outside the repository
(``CARECHAT_SEEDS_DIR``, default ``/work/shared/seeds``); in CI they must be there.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.knowledge.card_loader import load_library

RUN_WORDS = 10
SEEDS_DIR = Path(os.environ.get("CARECHAT_SEEDS_DIR", "/work/shared/seeds"))


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'").replace("'", ""))


def runs(text: str) -> set[tuple[str, ...]]:
    """Every RUN_WORDS-word window, never across a cut-out title (marked "|")."""
    found: set[tuple[str, ...]] = set()
    for piece in text.split("|"):
        tokens = words(piece)
        found |= {tuple(tokens[i:i + RUN_WORDS]) for i in range(len(tokens) - RUN_WORDS + 1)}
    return found


@pytest.fixture(scope="module")
def seed_runs() -> set[tuple[str, ...]]:
    seeds = sorted(SEEDS_DIR.glob("*.txt"))
    if not seeds:
        if os.environ.get("CI"):
            pytest.fail(f"seed documents not found in {SEEDS_DIR}")
        pytest.skip(f"seed documents not found in {SEEDS_DIR}")
    found: set[tuple[str, ...]] = set()
    for path in seeds:
        found |= runs(path.read_text(encoding="utf-8", errors="replace"))
    return found


def without_titles(text: str, titles: list[str]) -> str:
    """Naming an Act, regulation or document is citing, not copying: cut source titles out."""
    for title in sorted(titles, key=len, reverse=True):
        text = re.sub(re.escape(title), " | ", text, flags=re.IGNORECASE)
    return text


def card_texts() -> list[tuple[str, str]]:
    library = load_library()
    titles = [source.title for source in library.sources.values()]
    texts = []
    for card in library.cards.values():
        for audience, text in card.versions.items():
            texts.append((f"{card.id}/{audience}", without_titles(text, titles)))
        for council, local in card.local.items():
            for audience, text in local.versions.items():
                texts.append((f"{card.id}/local/{council}/{audience}", without_titles(text, titles)))
    return texts


def test_local_texts_are_checked_too():
    assert any("/local/" in where for where, _ in card_texts())


def test_the_check_catches_a_pasted_sentence(seed_runs):
    pasted = next(iter(seed_runs))
    assert runs(" ".join(pasted)) & seed_runs


@pytest.mark.parametrize(("where", "text"), card_texts(), ids=[w for w, _ in card_texts()])
def test_card_text_is_in_our_own_words(where, text, seed_runs):
    copied = runs(text) & seed_runs
    assert not copied, f"{where} copies from a source document: {' '.join(sorted(copied)[0])!r}"


def care_leaver_texts() -> list[tuple[str, str]]:
    """Every sentence in content/care_leavers/ (entitlements and local offers), titles cut out."""
    import yaml

    titles = [source.title for source in load_library().sources.values()]

    def strings(node, where: str):
        if isinstance(node, str):
            yield where, node
        elif isinstance(node, dict):
            for key, value in node.items():
                yield from strings(value, f"{where}/{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                yield from strings(value, f"{where}/{n}")

    folder = Path(__file__).resolve().parents[2] / "content" / "care_leavers"
    return [(where, without_titles(text, titles)) for path in sorted(folder.glob("*.yml"))
            for where, text in strings(yaml.safe_load(path.read_text(encoding="utf-8")), path.stem)]


@pytest.mark.parametrize("where, text", care_leaver_texts())
def test_care_leaver_text_is_in_our_own_words(where, text, seed_runs):
    assert not runs(text) & seed_runs, f"{where} repeats a seed document word for word"
