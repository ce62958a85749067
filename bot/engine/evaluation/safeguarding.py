"""How well the safeguarding check does on a set, through the trained model (engine environment).

Why through the model: what a child meets is the whole NLU (lexicon, safeguarding classifier,
DIET) and then the action server's second look (a short reply read with the turn before it; a
message about to be turned away as off-topic). This runs the same code: Rasa's Agent parses
each message and `bot.safeguarding.decision.decide` makes the action server's decision.

    python -m bot.engine.evaluation.safeguarding [--model M] FOLDER [FOLDER ...]

A folder holds crisis.tsv, lookalike.tsv and pairs.tsv (bot/safeguarding/phrase_sets.py), or
phrase lists (*crisis*.txt and *ordinary*.txt). Prints recall by category and false alarms by
tier. Never logs message text; the report names missed lines by file and line number only.
"""
from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from bot.safeguarding.decision import Outcome, decide
from bot.safeguarding.lexicon import CHECK_IN, RISK
from bot.safeguarding.phrase_sets import (
    NONE,
    read_crisis_tsv,
    read_lookalike_tsv,
    read_pairs_tsv,
    read_phrase_list,
)

#: Intents whose actions would turn a message away (out-of-scope reply or fallback menu).
TURNED_AWAY_INTENTS = ("out_of_scope", "nlu_fallback")


def outcome_of(parse: dict, follows_bot_turn: bool = False) -> Optional[Outcome]:
    """What the stack does with one parsed message: NLU's decision, else the action's."""
    found = parse.get("safeguarding")
    if found:
        return Outcome(found["tier"], found["category"], found["source"], found["rule"])
    score = parse.get("safeguarding_score") or {}
    intent = (parse.get("intent") or {}).get("name")
    return decide(None, float(score.get("score") or 0.0), score.get("category") or "unspecified",
                  follows_bot_turn=follows_bot_turn, text=parse.get("text") or "",
                  turned_away=intent in TURNED_AWAY_INTENTS)


@dataclass
class SetReport:
    """Counts for one folder: crisis recall by category, alarms on ordinary messages by tier."""

    name: str
    crisis_total: Counter = field(default_factory=Counter)
    crisis_caught: Counter = field(default_factory=Counter)
    crisis_tiers: Counter = field(default_factory=Counter)
    ordinary_total: int = 0
    ordinary_alarms: Counter = field(default_factory=Counter)
    pairs_total: int = 0
    pairs_caught: int = 0
    harmless_pairs: int = 0
    harmless_alarms: int = 0
    missed: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        total = sum(self.crisis_total.values()) + self.pairs_total
        caught = sum(self.crisis_caught.values()) + self.pairs_caught
        return caught / total if total else 1.0

    def alarm_rate(self, tier: str) -> float:
        return self.ordinary_alarms[tier] / self.ordinary_total if self.ordinary_total else 0.0

    def lines(self) -> list[str]:
        out = [f"{self.name}:"]
        crisis = sum(self.crisis_total.values())
        if crisis:
            caught = sum(self.crisis_caught.values())
            out.append(f"  crisis recall {100 * caught / crisis:.1f}% ({caught}/{crisis}); "
                       f"full reply {self.crisis_tiers[RISK]}, check-in {self.crisis_tiers[CHECK_IN]}")
            for category in sorted(self.crisis_total):
                out.append(f"    {category}: {self.crisis_caught[category]}/{self.crisis_total[category]}")
        if self.pairs_total or self.harmless_pairs:
            out.append(f"  second-message disclosures caught {self.pairs_caught}/{self.pairs_total}; "
                       f"harmless second messages alarmed {self.harmless_alarms}/{self.harmless_pairs}")
        if self.ordinary_total:
            out.append(f"  ordinary messages: full safety reply {100 * self.alarm_rate(RISK):.1f}% "
                       f"({self.ordinary_alarms[RISK]}/{self.ordinary_total}), check-in "
                       f"{100 * self.alarm_rate(CHECK_IN):.1f}% ({self.ordinary_alarms[CHECK_IN]}/{self.ordinary_total})")
        out.append(f"  overall recall {100 * self.recall:.1f}%")
        out += [f"  missed: {m}" for m in self.missed]
        out += [f"  alarm: {a}" for a in self.alarms]
        return out


def quiet_rasa_logs() -> None:
    """Rasa's debug log of each parse includes the message text: keep it out of the report."""
    import logging

    import structlog

    logging.getLogger().setLevel(logging.WARNING)
    for name in ("rasa", "bot"):
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


class Parser:
    """Parses messages with a loaded Rasa Agent (the whole NLU pipeline)."""

    def __init__(self, agent) -> None:
        self.agent = agent
        self.loop = asyncio.new_event_loop()

    def parse(self, text: str) -> dict:
        return self.loop.run_until_complete(self.agent.parse_message(text))


def evaluate_folder(parser: Parser, folder: Path) -> SetReport:
    """Every crisis, ordinary and paired message in one folder, through the model."""
    report = SetReport(folder.name)
    crisis = []
    ordinary = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".tsv" and path.name.startswith("crisis"):
            crisis += [(path, p) for p in read_crisis_tsv(path)]
        elif path.suffix == ".tsv" and path.name.startswith("lookalike"):
            ordinary += [(path, p) for p in read_lookalike_tsv(path)]
        elif path.suffix == ".txt" and "crisis" in path.name:
            crisis += [(path, p) for p in read_phrase_list(path)]
        elif path.suffix == ".txt" and "ordinary" in path.name:
            ordinary += [(path, p) for p in read_phrase_list(path)]
    for path, phrase in crisis:
        category = phrase.category or "unspecified"
        report.crisis_total[category] += 1
        outcome = outcome_of(parser.parse(phrase.text))
        if outcome is None:
            report.missed.append(f"{path.name}:{phrase.line} ({category})")
        else:
            report.crisis_caught[category] += 1
            report.crisis_tiers[outcome.tier] += 1
    for path, phrase in ordinary:
        report.ordinary_total += 1
        outcome = outcome_of(parser.parse(phrase.text))
        if outcome is not None:
            report.ordinary_alarms[outcome.tier] += 1
            report.alarms.append(f"{path.name}:{phrase.line} {outcome.tier} ({outcome.rule})")
    for path in sorted(folder.glob("pairs*.tsv")):
        for pair in read_pairs_tsv(path):
            parser.parse(pair.first)
            outcome = outcome_of(parser.parse(pair.second), follows_bot_turn=True)
            if pair.category == NONE:
                report.harmless_pairs += 1
                report.harmless_alarms += outcome is not None
                if outcome is not None:
                    report.alarms.append(f"{path.name}:{pair.line} second message {outcome.tier} ({outcome.rule})")
            else:
                report.pairs_total += 1
                report.pairs_caught += outcome is not None
                if outcome is None:
                    report.missed.append(f"{path.name}:{pair.line} second message ({pair.category})")
    return report


def main(argv: list[str] | None = None) -> int:
    """Print the report for each folder; exit 1 if a folder's recall is under --min-recall."""
    from bot.engine.evaluation.nlu import load_agent
    from bot.ops.training import model_path

    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("folders", nargs="+", type=Path)
    args.add_argument("--model", type=Path, default=None)
    args.add_argument("--min-recall", type=float, default=0.0)
    ns = args.parse_args(argv)
    quiet_rasa_logs()
    model = ns.model or model_path()
    if not model.exists():
        print(f"No trained model at {model}: run `make model` first.")
        return 2
    parser = Parser(load_agent(model))
    ok = True
    for folder in ns.folders:
        report = evaluate_folder(parser, folder)
        print("\n".join(report.lines()))
        ok &= report.recall >= ns.min_recall
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
