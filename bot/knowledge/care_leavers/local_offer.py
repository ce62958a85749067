"""Each council's own leaving-care facts, from its own documents, and where they are silent.

Why separate from the national entitlements: councils differ (only North Yorkshire's
documents describe a care leaver offer), and the bot must never present one council's
arrangement as the law everywhere, nor invent a local fact where a council says nothing.
Silence is data too: :meth:`LocalOffer.silent_topics` lists what to send people to ask about.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT

LOCAL_OFFER_FILE = PROJECT_ROOT / "content" / "care_leavers" / "local_offer.yml"


@dataclass(frozen=True)
class SourceDocument:
    """A council document the facts were read from."""

    id: str
    title: str
    seed_file: str


@dataclass(frozen=True)
class LocalFact:
    """One thing a council's document says, in our words, with the document named."""

    topic: str
    text: str
    document: str


@dataclass(frozen=True)
class LocalOffer:
    """What one council's documents say about leaving care."""

    council_id: str
    documents: dict[str, SourceDocument]
    facts: tuple[LocalFact, ...]
    topics: dict[str, str]
    note: str | None = None

    def facts_on(self, topic: str) -> tuple[LocalFact, ...]:
        return tuple(f for f in self.facts if f.topic == topic)

    def silent_topics(self) -> tuple[str, ...]:
        """Topics the council's documents say nothing about, in the file's order."""
        covered = {f.topic for f in self.facts}
        return tuple(t for t in self.topics if t not in covered)

    def document_title(self, document_id: str) -> str:
        return self.documents[document_id].title


def parse_local_offers(raw: Any) -> dict[str, LocalOffer]:
    """Build every council's offer; a fact without a known document of that council is an error."""
    if not isinstance(raw, dict) or not isinstance(raw.get("councils"), dict):
        raise ValueError("local_offer.yml must hold a 'councils' mapping")
    topics = raw.get("topics")
    if not isinstance(topics, dict) or not topics:
        raise ValueError("local_offer.yml must list its 'topics'")
    topics = {str(k): str(v) for k, v in topics.items()}
    offers: dict[str, LocalOffer] = {}
    for council_id, body in raw["councils"].items():
        where = f"local offer '{council_id}'"
        if not isinstance(body, dict) or not isinstance(body.get("documents"), dict) or not body["documents"]:
            raise ValueError(f"{where}: needs at least one document")
        documents = {}
        for doc_id, doc in body["documents"].items():
            if not isinstance(doc, dict) or not doc.get("title") or not doc.get("seed_file"):
                raise ValueError(f"{where}: document '{doc_id}' needs a title and a seed_file")
            documents[str(doc_id)] = SourceDocument(str(doc_id), str(doc["title"]), str(doc["seed_file"]))
        facts = []
        for n, item in enumerate(body.get("facts") or (), start=1):
            if not isinstance(item, dict) or not all(item.get(k) for k in ("topic", "text", "document")):
                raise ValueError(f"{where}: fact {n} needs a topic, a text and a document")
            if item["topic"] not in topics:
                raise ValueError(f"{where}: fact {n} has unknown topic '{item['topic']}'")
            if item["document"] not in documents:
                raise ValueError(f"{where}: fact {n} names '{item['document']}', not one of this council's documents")
            facts.append(LocalFact(str(item["topic"]), " ".join(str(item["text"]).split()), str(item["document"])))
        offers[str(council_id)] = LocalOffer(str(council_id), documents, tuple(facts), topics, body.get("note"))
    return offers


def load_local_offers(path: Path = LOCAL_OFFER_FILE) -> dict[str, LocalOffer]:
    """Read every council's local offer facts, keyed by council id."""
    with Path(path).open(encoding="utf-8") as handle:
        return parse_local_offers(yaml.safe_load(handle))
