"""The knowledge library: cards written in our own plain words, loaded, checked and rendered.

Each card explains one topic three ways (child, young person, parent/carer), keeps national
law apart from what one council's documents say, and names its sources. Everything the bot
says about a topic comes through :meth:`Library.render`, so every answer carries a source
line and never passes one council's practice off as the law everywhere.

Pure Python + PyYAML: no Rasa imports, so it is testable and usable from the CLI.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable
from typing import Any

import yaml

from bot.knowledge.audiences import VERSIONS, version_for
from bot.knowledge.councils import CouncilProfile, load_councils
from bot.settings import DEFAULT_COUNCIL, PROJECT_ROOT

#: Professionals get the parent/carer version: it explains the legal terms.
KINDS = ("order", "topic", "definition", "promise", "glossary")
REQUIRED_CARD_FIELDS = ("id", "title", "kind", "aliases", "versions", "key_facts", "sources", "related")
NATIONAL = "national"


#: Who to ask when the council's documents are silent, by audience.
ASK_WHO = {
    "child": "Your social worker or your IRO (the person who runs your review meetings) can tell you.",
    "young_person": "Your social worker, leaving care worker or IRO (Independent Reviewing Officer) can tell you.",
    "parent": "Ask the child's social worker, or the council's children's services, how this works locally.",
}

_STOPWORDS = frozenset(
    "a an and are as at be can do does for from get how i if in is it me my of on or so the their them "
    "they this to was we what when where who why will with you your about have has not what's whats "
    "please tell know mean means".split()
)


class ContentError(Exception):
    """The content on disk is not safe to serve; the message lists the problems."""


class UnknownCard(KeyError):
    """No card has this id."""


class UnknownCouncil(KeyError):
    """No council profile has this id (a configuration mistake: fail loudly, never guess a council)."""


@dataclass(frozen=True)
class KeyFact:
    """One checkable fact on a card, national or tied to one council's document."""

    text: str
    scope: str
    source: str


@dataclass(frozen=True)
class LocalText:
    """What one council's documents add to a card, in the three reader versions."""

    council: str
    versions: dict[str, str]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    """A document or Act a card cites; ``council`` is None for national law and guidance."""

    id: str
    title: str
    council: str | None
    detail: str | None

    @property
    def label(self) -> str:
        """How the source appears in an answer's source line."""
        return f"{self.title}, {self.detail}" if self.detail else self.title


@dataclass(frozen=True)
class Card:
    """One topic. Build with :func:`load_library`; see docs/content-guide.md for the schema."""

    id: str
    title: str
    kind: str
    aliases: tuple[str, ...]
    intents: tuple[str, ...]
    versions: dict[str, str]
    key_facts: tuple[KeyFact, ...]
    sources: tuple[str, ...]
    related: tuple[str, ...]
    local: dict[str, LocalText]
    silent_note_topic: str | None = None


@dataclass(frozen=True)
class Answer:
    """A rendered card: the text to say, where it came from, and where to go next."""

    text: str
    source_line: str
    related: list[tuple[str, str]]
    card_id: str = ""
    audience: str = ""
    council_id: str = ""
    council_silent: bool = False


def normalise_audience(audience: str | None) -> str:
    """The card version for any audience value (:func:`bot.knowledge.audiences.version_for`)."""
    return version_for(audience)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def normalise_term(text: str) -> str:
    """Lowercase, drop punctuation and possessives, singularise: 'S.G.O.s' and 'sgo' compare equal."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"(?<=\w)[.'](?=\w)", "", text)  # s.g.o -> sgo, don't -> dont
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(_singular(w) for w in text.split())


def alias_tokens(alias: str) -> list[str]:
    """Split an alias the way spaCy's English tokenizer splits plain words
    ("child's" -> child, 's; "long-term" -> long, -, term)."""
    tokens: list[str] = []
    for word in alias.lower().split():
        if word.endswith("'s") and len(word) > 2:
            tokens.extend([*_split_hyphens(word[:-2]), "'s"])
        else:
            tokens.extend(_split_hyphens(word))
    return tokens


def _split_hyphens(word: str) -> list[str]:
    """spaCy splits a hyphen between letters into its own token."""
    parts = re.split(r"(?<=[a-z])(-)(?=[a-z])", word)
    return [part for part in parts if part]


def _plural(word: str) -> str | None:
    if not word.isalpha() or len(word) < 3 or word.endswith("s"):
        return None
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _words(text: str) -> list[str]:
    return [w for w in normalise_term(text).split() if w not in _STOPWORDS and len(w) > 1]


@dataclass
class Library:
    """All cards, council profiles and sources, with lookup and rendering."""

    cards: dict[str, Card]
    councils: dict[str, CouncilProfile]
    sources: dict[str, Source]
    load_problems: list[str] = field(default_factory=list)
    default_council: str = DEFAULT_COUNCIL

    def __post_init__(self) -> None:
        self._by_intent: dict[str, str] = {}
        self._by_alias: dict[str, str] = {}
        for card in self.cards.values():
            for intent in card.intents:
                self._by_intent.setdefault(intent, card.id)
            for term in (*card.aliases, card.title, card.id.replace("_", " ")):
                key = normalise_term(term)
                if key:
                    self._by_alias.setdefault(key, card.id)

    # ---- lookup -------------------------------------------------------------------------
    def card(self, card_id: str) -> Card:
        """The card with this id, or :class:`UnknownCard`."""
        try:
            return self.cards[card_id]
        except KeyError:
            raise UnknownCard(card_id) from None

    def card_for_intent(self, intent: str) -> Card | None:
        """The card that answers a Rasa intent, if any."""
        card_id = self._by_intent.get(intent)
        return self.cards[card_id] if card_id else None

    def cards_named(self, entities: Iterable[dict]) -> list[Card]:
        """Cards a message's entities name, in order: button topics first, then terms."""
        entities = list(entities)

        def named(kind: str) -> list[str]:
            return [e["value"] for e in entities
                    if e.get("entity") == kind and isinstance(e.get("value"), str)]

        topics = [self.cards.get(value) for value in named("topic")]
        terms = [self.card_for_term(value) for value in named("term")]
        unique: dict[str, Card] = {}
        for card in topics + terms:
            if card is not None:
                unique.setdefault(card.id, card)
        return list(unique.values())

    def card_for_term(self, text: str) -> Card | None:
        """Find the card a word or phrase refers to, forgiving case, punctuation, plurals and typos.

        Tries, in order: the whole text as an alias; the longest alias inside the text; a close
        spelling of the whole text; a close spelling of any run of words in the text. Short
        aliases (under 6 letters, like "sgo") must match exactly, so typo-tolerance cannot
        turn "go" into "sgo".
        """
        norm = normalise_term(text)
        if not norm:
            return None
        if norm in self._by_alias:
            return self.cards[self._by_alias[norm]]
        padded = f" {norm} "
        contained = [a for a in self._by_alias if f" {a} " in padded]
        if contained:
            best = max(contained, key=len)
            return self.cards[self._by_alias[best]]
        long_aliases = [a for a in self._by_alias if len(a.replace(" ", "")) >= 6]
        close = difflib.get_close_matches(norm, long_aliases, n=1, cutoff=0.84)
        if close:
            return self.cards[self._by_alias[close[0]]]
        words = norm.split()
        best_score, best_alias = 0.0, None
        for alias in long_aliases:
            size = len(alias.split())
            for start in range(0, max(0, len(words) - size) + 1):
                window = " ".join(words[start : start + size])
                score = difflib.SequenceMatcher(None, window, alias).ratio()
                if score > best_score:
                    best_score, best_alias = score, alias
        if best_alias and best_score >= 0.86:
            return self.cards[self._by_alias[best_alias]]
        return None

    def term_patterns(self) -> list[dict[str, Any]]:
        """spaCy EntityRuler patterns (label "term", id = card id) for every alias, plus its plural."""
        patterns: list[dict[str, Any]] = []
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for card in sorted(self.cards.values(), key=lambda c: c.id):
            for alias in card.aliases:
                tokens = alias_tokens(alias)
                variants = [tokens]
                plural = _plural(tokens[-1]) if tokens else None
                if plural:
                    variants.append(tokens[:-1] + [plural])
                for variant in variants:
                    key = (card.id, tuple(variant))
                    if variant and key not in seen:
                        seen.add(key)
                        patterns.append(
                            {"label": "term", "id": card.id, "pattern": [{"LOWER": t} for t in variant]}
                        )
        return patterns

    def search(self, text: str, limit: int = 3) -> list[Card]:
        """Suggest cards by keyword overlap, for when the NLU is unsure what was asked."""
        query = set(_words(text))
        if not query:
            return []
        norm = f" {normalise_term(text)} "
        scored: list[tuple[float, str]] = []
        for card in self.cards.values():
            title_words = set(_words(card.title))
            alias_words = {w for a in card.aliases for w in _words(a)}
            body_words = {w for v in card.versions.values() for w in _words(v)}
            score = 3.0 * len(query & title_words) + 2.0 * len(query & alias_words) + 0.5 * len(query & body_words)
            if any(f" {normalise_term(a)} " in norm for a in card.aliases if normalise_term(a)):
                score += 5.0
            if score > 0:
                scored.append((score, card.id))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [self.cards[card_id] for _, card_id in scored[:limit]]

    # ---- rendering ------------------------------------------------------------------------
    def council(self, council_id: str) -> CouncilProfile:
        """The council profile, or :class:`UnknownCouncil`."""
        try:
            return self.councils[council_id]
        except KeyError:
            raise UnknownCouncil(council_id) from None

    def render(self, card_id: str, audience: str, council_id: str) -> Answer:
        """The card's text for this reader and council, with its source line and related topics.

        National text first; then the council's own local text. Where other councils have
        local text for this card but this council's documents say nothing, the answer says
        so and names who to ask, instead of borrowing another council's practice.
        """
        card = self.card(card_id)
        profile = self.council(council_id)
        who = normalise_audience(audience)
        parts = [card.versions.get(who, "").strip()]
        source_ids = [s for s in card.sources if self._is_national(s)]
        silent = False
        local = card.local.get(profile.id)
        if local is not None:
            parts.append(local.versions.get(who, "").strip())
            source_ids.extend(local.sources)
        elif card.local:
            silent = True
            parts.append(self.silent_sentence(card, who, profile))
        labels = self.source_labels(source_ids)
        related = [(rid, self.cards[rid].title) for rid in card.related if rid in self.cards]
        return Answer(
            text="\n\n".join(p for p in parts if p),
            source_line="Source: " + "; ".join(labels) if labels else "",
            related=related,
            card_id=card.id,
            audience=who,
            council_id=profile.id,
            council_silent=silent,
        )

    def silent_sentence(self, card: Card, audience: str, profile: CouncilProfile) -> str:
        """'Your council's documents don't say ...' plus who to ask, for one reader."""
        topic = card.silent_note_topic or card.title.lower()
        who = normalise_audience(audience)
        if who == "child":
            opening = f"{profile.place}'s papers don't say anything about {topic}."
        elif who == "parent":
            opening = f"The {profile.name} documents we use don't say anything about {topic}."
        else:
            opening = f"{profile.place}'s documents don't say anything about {topic}."
        return f"{opening} {ASK_WHO[who]}"

    def source_labels(self, source_ids: list[str]) -> list[str]:
        """One label per document, with the parts cited: "Children Act 1989, s14A-14G, s91"."""
        details: dict[str, list[str]] = {}
        for source_id in source_ids:
            source = self.sources.get(source_id)
            title = source.title if source else source_id
            parts = details.setdefault(title, [])
            if source and source.detail and source.detail not in parts:
                parts.append(source.detail)
        return [", ".join([title, *parts]) for title, parts in details.items()]

    def _is_national(self, source_id: str) -> bool:
        source = self.sources.get(source_id)
        return source is None or source.council is None


# ---- loading -------------------------------------------------------------------------------
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
