"""Compare any two legal orders side by side, from structured facts (content/order_facts.yml).

One table of attributes per order, rather than a hand-written answer per pair: adding an
order makes it comparable with every other one, and a fact is corrected in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT

#: The attributes compared, in order, with the heading a reader sees.
ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("parental_responsibility", "Who makes the big decisions (parental responsibility)"),
    ("how_long", "How long it lasts"),
    ("how_it_ends", "How it ends"),
    ("looked_after", "Is the child in care?"),
    ("reviews", "Reviews"),
    ("support", "Support"),
    ("family_time", "Seeing family"),
)
REQUIRED = ("short", "sources", *(key for key, _ in ATTRIBUTES))


@dataclass(frozen=True)
class OrderFacts:
    """The comparable facts of one order, keyed by its card id."""

    card_id: str
    short: str
    sources: tuple[str, ...]
    values: dict[str, str]


def load_order_facts(path: Path = PROJECT_ROOT / "content" / "order_facts.yml") -> dict[str, OrderFacts]:
    """Read the facts table; a missing field is an error naming the order and field."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    facts: dict[str, OrderFacts] = {}
    for card_id, entry in raw.items():
        missing = [name for name in REQUIRED if not entry.get(name)]
        if missing:
            raise ValueError(f"{path.name}: {card_id} is missing {', '.join(missing)}")
        facts[card_id] = OrderFacts(
            card_id=card_id,
            short=str(entry["short"]),
            sources=tuple(entry["sources"]),
            values={key: str(entry[key]).strip() for key, _ in ATTRIBUTES},
        )
    return facts


def compare_text(first: OrderFacts, second: OrderFacts, first_title: str, second_title: str) -> str:
    """The side-by-side comparison as plain text that reads well in any channel."""
    lines = [f"{first_title} and {second_title}, side by side:"]
    for key, heading in ATTRIBUTES:
        lines.append(f"\n{heading}\n- {first.short}: {first.values[key]}\n- {second.short}: {second.values[key]}")
    lines.append("\nEvery family is different: the social worker, or a solicitor for parents, can say which fits.")
    return "\n".join(lines)


def check_order_facts(facts: dict[str, OrderFacts], library) -> list[str]:
    """Problems: an order with no card, an unknown source, or a source that is not national law."""
    problems = []
    for card_id, order in facts.items():
        if card_id not in library.cards:
            problems.append(f"order_facts.yml: {card_id} has no card in content/cards/")
        for source_id in order.sources:
            source = library.sources.get(source_id)
            if source is None:
                problems.append(f"order_facts.yml: {card_id} cites unknown source {source_id}")
            elif source.council is not None:
                problems.append(f"order_facts.yml: {card_id} cites a council document ({source_id}); "
                                "comparisons hold national law only")
    return problems
