"""Loading the knowledge library from ``content/``: cards, sources and council profiles.

Loading never stops at the first mistake: every problem is collected, so a content writer sees
them all at once (reported by :func:`bot.knowledge.card_checks.check_library`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.audiences import VERSIONS
from bot.knowledge.cards import Card, KeyFact, Library, LocalText, Source
from bot.knowledge.councils import load_councils
from bot.settings import PROJECT_ROOT

REQUIRED_CARD_FIELDS = ("id", "title", "kind", "aliases", "versions", "key_facts", "sources", "related")

def _tuple_of_str(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse_card(raw: Any, where: str, problems: list[str]) -> Card | None:
    """Build a card from parsed YAML, appending (not raising) every schema problem."""
    if not isinstance(raw, dict):
        problems.append(f"{where}: the file must hold a mapping")
        return None
    for name in REQUIRED_CARD_FIELDS:
        if name not in raw or raw[name] in (None, "", [], {}):
            problems.append(f"{where}: missing field '{name}'")
    versions_raw = raw.get("versions") or {}
    versions = {k: str(v) for k, v in versions_raw.items() if v} if isinstance(versions_raw, dict) else {}
    for audience in VERSIONS:
        if not versions.get(audience, "").strip():
            problems.append(f"{where}: missing the '{audience}' version")
    facts: list[KeyFact] = []
    for i, fact in enumerate(raw.get("key_facts") or []):
        if not isinstance(fact, dict) or not all(fact.get(k) for k in ("text", "scope", "source")):
            problems.append(f"{where}: key_facts[{i}] needs text, scope and source")
            continue
        facts.append(KeyFact(text=str(fact["text"]), scope=str(fact["scope"]), source=str(fact["source"])))
    local: dict[str, LocalText] = {}
    local_raw = raw.get("local") or {}
    if not isinstance(local_raw, dict):
        problems.append(f"{where}: 'local' must be a mapping of council id to texts")
        local_raw = {}
    for council_id, entry in local_raw.items():
        if not isinstance(entry, dict):
            problems.append(f"{where}: local.{council_id} must be a mapping")
            continue
        texts = {a: str(entry[a]) for a in VERSIONS if entry.get(a)}
        for audience in VERSIONS:
            if audience not in texts:
                problems.append(f"{where}: local.{council_id} is missing the '{audience}' version")
        sources = _tuple_of_str(entry.get("sources"))
        if not sources:
            problems.append(f"{where}: local.{council_id} has no sources")
        local[str(council_id)] = LocalText(council=str(council_id), versions=texts, sources=sources)
    return Card(
        id=str(raw.get("id") or ""),
        title=str(raw.get("title") or ""),
        kind=str(raw.get("kind") or ""),
        aliases=_tuple_of_str(raw.get("aliases")),
        intents=_tuple_of_str(raw.get("intents")),
        versions=versions,
        key_facts=tuple(facts),
        sources=_tuple_of_str(raw.get("sources")),
        related=_tuple_of_str(raw.get("related")),
        local=local,
        silent_note_topic=raw.get("silent_note_topic"),
    )


def _read_yaml(path: Path, problems: list[str], where: str) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        problems.append(f"{where}: not valid YAML ({exc.__class__.__name__})")
        return None


def load_sources(content_dir: Path, problems: list[str]) -> dict[str, Source]:
    """Read ``sources.yml`` and every ``sources.d/*.yml``: ``<id>: {title, council, detail}``.

    Several files let people writing different groups of cards add sources without
    editing one shared file; an id defined twice is a problem, never silently replaced.
    """
    content_dir = Path(content_dir)
    path = content_dir / "sources.yml"
    if not path.exists():
        problems.append("sources.yml: file is missing")
        return {}
    paths = [path] + sorted((content_dir / "sources.d").glob("*.yml"))
    sources: dict[str, Source] = {}
    for source_path in paths:
        where = source_path.relative_to(content_dir).as_posix()
        raw = _read_yaml(source_path, problems, where) or {}
        for source_id, entry in raw.items():
            if str(source_id) in sources:
                problems.append(f"{where}: source '{source_id}' is already defined")
                continue
            if not isinstance(entry, dict) or not entry.get("title"):
                problems.append(f"{where}: '{source_id}' needs a title")
                entry = entry if isinstance(entry, dict) else {}
            sources[str(source_id)] = Source(
                id=str(source_id),
                title=str(entry.get("title") or source_id),
                council=entry.get("council"),
                detail=entry.get("detail"),
            )
    return sources


def load_library(content_dir: Path = PROJECT_ROOT / "content") -> Library:
    """Load every card, council profile and source under ``content_dir``.

    Loading never stops at the first mistake: problems are kept in ``load_problems`` and
    reported together by :func:`bot.knowledge.card_checks.check_library`. Use
    :func:`bot.knowledge.card_checks.load_checked_library` where
    serving broken content would be worse than not starting.
    """
    content_dir = Path(content_dir)
    problems: list[str] = []
    sources = load_sources(content_dir, problems)
    councils = load_councils(content_dir)
    cards: dict[str, Card] = {}
    for path in sorted((content_dir / "cards").glob("*.yml")):
        where = f"cards/{path.name}"
        card = parse_card(_read_yaml(path, problems, where), where, problems)
        if card is None:
            continue
        if card.id != path.stem:
            problems.append(f"{where}: id '{card.id}' does not match the file name")
        if card.id in cards:
            problems.append(f"{where}: duplicate card id '{card.id}'")
            continue
        cards[card.id or path.stem] = card
    return Library(cards=cards, councils=councils, sources=sources, load_problems=problems)
