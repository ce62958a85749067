"""Checking the knowledge before it is served: every card, source and council profile.

Why apart from the cards: loading and rendering run on every answer; checking runs in
``python -m bot content check``, at start-up (``load_checked_library``) and in the tests, and
it is the part content writers read to learn the rules (docs/content-guide.md).
"""
from __future__ import annotations

import re
from pathlib import Path

from bot.knowledge.card_loader import load_library
from bot.knowledge.cards import KINDS, NATIONAL, Card, ContentError, Library
from bot.knowledge.terms import normalise_term
from bot.knowledge.councils import CouncilProfile
from bot.knowledge.helplines import NATIONAL_DIGITS
from bot.settings import PROJECT_ROOT

#: Phone numbers content may contain, as digits only: national helplines from
#: reference/helplines.md. Council numbers come from council profiles and are added at check time.
NATIONAL_PHONE_DIGITS = NATIONAL_DIGITS
_PHONE_LIKE = re.compile(r"(?<!\d)(?:\d[ \-]?){5,}\d(?!\d)")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_ALIAS_OK = re.compile(r"^[a-z0-9][a-z0-9 .'\-]*$")


def load_checked_library(content_dir: Path = PROJECT_ROOT / "content") -> Library:
    """Load the library and raise :class:`ContentError` listing every problem, if there are any."""
    library = load_library(content_dir)
    problems = check_library(library)
    if problems:
        raise ContentError("content problems:\n- " + "\n- ".join(problems))
    return library


def _phone_problems(text: str, allowed: set[str], where: str) -> list[str]:
    found = []
    for match in _PHONE_LIKE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if digits not in allowed:
            found.append(f"{where}: phone-like number '{match.group()}' is not a known helpline or council number")
    return found


def _check_card(card: Card, library: Library, allowed_phones: set[str]) -> list[str]:
    where = f"cards/{card.id}.yml"
    problems: list[str] = []
    if not _SNAKE.match(card.id):
        problems.append(f"{where}: id must be snake_case")
    if card.kind and card.kind not in KINDS:
        problems.append(f"{where}: kind '{card.kind}' is not one of {', '.join(KINDS)}")
    for alias in card.aliases:
        if alias != alias.lower() or not _ALIAS_OK.match(alias):
            problems.append(f"{where}: alias '{alias}' must be lowercase letters, digits, spaces, . ' or -")
    for source_id in card.sources:
        if source_id not in library.sources:
            problems.append(f"{where}: unknown source '{source_id}'")
    for fact in card.key_facts:
        source = library.sources.get(fact.source)
        if source is None:
            problems.append(f"{where}: key fact cites unknown source '{fact.source}'")
        if fact.source not in card.sources:
            problems.append(f"{where}: key fact source '{fact.source}' is not in the card's sources")
        if fact.scope == NATIONAL:
            if source is not None and source.council is not None:
                problems.append(f"{where}: national fact cites a council document ('{fact.source}')")
        elif fact.scope not in library.councils:
            problems.append(f"{where}: key fact scope '{fact.scope}' is not 'national' or a known council id")
        elif source is not None and source.council != fact.scope:
            problems.append(f"{where}: {fact.scope} fact must cite a {fact.scope} document, not '{fact.source}'")
    if not any(library.sources.get(s) and library.sources[s].council is None for s in card.sources):
        problems.append(f"{where}: needs at least one national source for its national text")
    for related in card.related:
        if related not in library.cards:
            problems.append(f"{where}: related card '{related}' does not exist")
        elif related == card.id:
            problems.append(f"{where}: a card cannot be related to itself")
    for council_id, local in card.local.items():
        profile = library.councils.get(council_id)
        if profile is None:
            problems.append(f"{where}: local entry for unknown council '{council_id}'")
            continue
        for source_id in local.sources:
            source = library.sources.get(source_id)
            if source is None:
                problems.append(f"{where}: local.{council_id} cites unknown source '{source_id}'")
            elif source.council not in (None, council_id):
                problems.append(f"{where}: local.{council_id} cites another council's document '{source_id}'")
        if not any(library.sources.get(s) and library.sources[s].council == council_id for s in local.sources):
            problems.append(f"{where}: local.{council_id} must cite at least one {council_id} document")
        for audience, text in local.versions.items():
            if profile.place and profile.place.lower() not in text.lower():
                problems.append(f"{where}: local.{council_id}.{audience} should name {profile.place}")
    texts = {f"versions.{a}": t for a, t in card.versions.items()}
    texts.update({f"local.{c}.{a}": t for c, l in card.local.items() for a, t in l.versions.items()})
    for label, text in texts.items():
        problems.extend(_phone_problems(text, allowed_phones, f"{where} {label}"))
    return problems


def _check_council(profile: CouncilProfile, library: Library) -> list[str]:
    where = f"councils/{profile.id}.yml"
    problems = list(profile.problems)

    def cite(source_id: str | None, what: str, must_be_local: bool) -> None:
        if source_id is None:
            return
        source = library.sources.get(source_id)
        if source is None:
            problems.append(f"{where}: {what} cites unknown source '{source_id}'")
        elif must_be_local and source.council != profile.id:
            problems.append(f"{where}: {what} must cite {profile.id}'s own document, not '{source_id}'")

    for doc in profile.documents:
        cite(doc, "documents", must_be_local=True)
    for contact in profile.contacts.values():
        cite(contact.source, f"contact '{contact.key}'", must_be_local=True)
    if profile.out_of_hours is not None:
        cite(profile.out_of_hours.source, "out_of_hours", must_be_local=True)
    timing = profile.review_timetable
    cite(timing.source, "review_timetable", must_be_local=timing.stated_by_council)
    if timing.source is None:
        problems.append(f"{where}: review_timetable needs a source")
    cite(profile.advocacy.source, "advocacy", must_be_local=True)
    return problems


def check_library(library: Library) -> list[str]:
    """Every problem in the library, as readable sentences; [] means safe to serve."""
    problems = list(library.load_problems)
    for source in library.sources.values():
        if source.council is not None and source.council not in library.councils:
            problems.append(f"sources.yml: '{source.id}' names unknown council '{source.council}'")
    for profile in library.councils.values():
        problems.extend(_check_council(profile, library))
    if library.default_council not in library.councils:
        problems.append(f"councils: the default council '{library.default_council}' has no profile")
    allowed = set(NATIONAL_PHONE_DIGITS)
    for profile in library.councils.values():
        for contact in (*profile.contacts.values(), profile.out_of_hours):
            if contact is not None and contact.phone:
                allowed.add(re.sub(r"\D", "", contact.phone))
    alias_owner: dict[str, str] = {}
    intent_owner: dict[str, str] = {}
    for card in library.cards.values():
        problems.extend(_check_card(card, library, allowed))
        for alias in set(normalise_term(a) for a in card.aliases):
            other = alias_owner.setdefault(alias, card.id)
            if other != card.id:
                problems.append(f"cards/{card.id}.yml: alias '{alias}' is also used by '{other}'")
        for intent in card.intents:
            other = intent_owner.setdefault(intent, card.id)
            if other != card.id:
                problems.append(f"cards/{card.id}.yml: intent '{intent}' is also answered by '{other}'")
    return problems
