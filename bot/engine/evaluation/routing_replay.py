"""Replay the held-out and blind sets' stored parses through the routing with other constants.

    python -m bot.engine.evaluation.routing_replay parse --model M --out parses.pkl [SET ...]
    python -m bot.engine.evaluation.routing_replay replay parses.pkl base WEAK_SEARCH=0.2,OFF_TOPIC_PLAUSIBLE=0.05 ...

Why: the routing's constants (bot/knowledge/choose_card.py) decide between a card, the
fallback menu and "not something I can help with" after the model has spoken, so changing one
needs no retraining. Parsing every set once (about two minutes) and replaying the routing with
each candidate value takes seconds a value, so a constant is chosen on all the held-out sets
at once, and the choice can be shown. Prints counts per set, never message text.
A set is "holdout" (tests/nlu_holdout) or the name of a file in tests/nlu_blind without ".yml".
"""
from __future__ import annotations

import argparse
import asyncio
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import bot.knowledge.choose_card as choose_card
from bot.engine.evaluation import nlu
from bot.engine.evaluation.safeguarding import quiet_rasa_logs
from bot.knowledge.card_loader import load_library
from bot.knowledge.scope import load_scope
from bot.settings import PROJECT_ROOT

HOLDOUT_DIR = PROJECT_ROOT / "tests" / "nlu_holdout"
BLIND_DIR = PROJECT_ROOT / "tests" / "nlu_blind"


def set_names() -> list[str]:
    """The held-out set and every blind set, in a stable order."""
    return ["holdout"] + sorted(path.stem for path in BLIND_DIR.glob("*.yml"))


def load_set(name: str) -> list[nlu.HoldoutItem]:
    """One set's items; an unknown name is refused with the list of known ones."""
    if name == "holdout":
        return nlu.load_holdout(HOLDOUT_DIR)
    if not (BLIND_DIR / f"{name}.yml").exists():
        raise SystemExit(f"no set called {name!r}; the sets are: {', '.join(set_names())}")
    return nlu.load_holdout(BLIND_DIR, f"{name}.yml")


@dataclass(frozen=True)
class SetCounts:
    """What the routing made of one set: card questions answered rightly, off-topic turned away."""

    name: str
    cards_right: int
    cards: int
    off_topic_kept_out: int
    off_topic: int


def parse_sets(model: Path, names: Sequence[str]) -> dict[str, tuple[list, list]]:
    """Set name -> (items, the model's parses of them)."""
    quiet_rasa_logs()
    agent = nlu.load_agent(model)
    stored = {}
    for name in names:
        items = load_set(name)
        stored[name] = (items, asyncio.run(nlu.parse_all(agent, [item.text for item in items])))
    return stored


def parse_overrides(spec: str) -> dict[str, float]:
    """"NAME=0.2,OTHER=0.1" -> {NAME: 0.2, OTHER: 0.1}; "base" -> {}. Unknown names are refused."""
    if spec == "base":
        return {}
    overrides = {}
    for part in spec.split(","):
        name, _, value = part.partition("=")
        if not name.isupper() or not hasattr(choose_card, name):
            raise SystemExit(f"{name!r} is not a constant of bot/knowledge/choose_card.py")
        try:
            overrides[name] = float(value)
        except ValueError:
            raise SystemExit(f"{part!r}: the value must be a number") from None
    return overrides


def replay(stored: dict[str, tuple[list, list]], overrides: dict[str, float]) -> Iterator[SetCounts]:
    """Score every stored set with the constants overridden, restoring them afterwards."""
    library = load_library()
    scope = load_scope(library)
    saved = {name: getattr(choose_card, name) for name in overrides}
    try:
        for name, value in overrides.items():
            setattr(choose_card, name, value)
        for set_name, (items, parses) in stored.items():
            result = nlu.score(items, parses, library, scope=scope)
            yield SetCounts(set_name, sum(1 for o in result.outcomes if o.card_ok), result.card_items,
                            result.out_of_scope["no_domain_answer"], result.out_of_scope["items"])
    finally:
        for name, value in saved.items():
            setattr(choose_card, name, value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.engine.evaluation.routing_replay",
                                     description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    parse = commands.add_parser("parse", help="parse the sets once with a model and store the parses")
    parse.add_argument("--model", required=True, type=Path)
    parse.add_argument("--out", required=True, type=Path)
    parse.add_argument("sets", nargs="*", help="default: every set")
    again = commands.add_parser("replay", help="score stored parses with other routing constants")
    again.add_argument("parses", type=Path)
    again.add_argument("settings", nargs="+", help='"base", or NAME=VALUE[,NAME=VALUE...]')
    args = parser.parse_args(argv)
    if args.command == "parse":
        if not args.model.exists():
            raise SystemExit(f"no model at {args.model}")
        stored = parse_sets(args.model, args.sets or set_names())
        with args.out.open("wb") as out:
            pickle.dump(stored, out)
        print(f"  {sum(len(items) for items, _ in stored.values())} items parsed into {args.out}")
        return 0
    if not args.parses.exists():
        raise SystemExit(f"no stored parses at {args.parses}; make them with `parse` first")
    with args.parses.open("rb") as stored_file:
        stored = pickle.load(stored_file)  # our own file, written by `parse` above
    for spec in args.settings:
        counts = list(replay(stored, parse_overrides(spec)))
        cards = sum(c.cards_right for c in counts), sum(c.cards for c in counts)
        kept_out = sum(c.off_topic_kept_out for c in counts), sum(c.off_topic for c in counts)
        per_set = " ".join(f"{c.name}:{c.cards_right}/{c.off_topic_kept_out}" for c in counts)
        print(f"{spec:40s} cards {cards[0]}/{cards[1]}  out of scope {kept_out[0]}/{kept_out[1]} | {per_set}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
