"""What each care-leaver group is entitled to, each line with its legal source.

Why data and not code: a practitioner should be able to read and correct the entitlements
(``content/care_leavers/entitlements.yml``) without reading Python, and every line must carry
the Act and section it rests on so the bot never states a right it cannot cite.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.care_leavers.facts import Answer
from bot.knowledge.care_leavers.status import AgeBand, Decision, Group, Outcome, Reason
from bot.settings import PROJECT_ROOT

ENTITLEMENTS_FILE = PROJECT_ROOT / "content" / "care_leavers" / "entitlements.yml"

#: Conditions a line may carry. ``in_education`` is dropped for someone who said they are not
#: in education or training; the others stay, and the line's text starts with "If".
CONDITIONS = frozenset({"in_education", "foster_care_at_18", "childrens_home"})
_KNOWN_TARGETS = {g.value for g in Group} | {r.value for r in Reason}
_KNOWN_BANDS = {b.value for b in AgeBand}


@dataclass(frozen=True)
class Entitlement:
    """One thing a group is owed, in plain words, with the law it comes from."""

    id: str
    title: str
    text: str
    applies_to: frozenset[str]
    bands: frozenset[str] | None
    source: str
    source_ids: tuple[str, ...] = ()
    condition: str | None = None
    new: bool = False
    in_force: bool = True

    def applies(self, outcome: Outcome, in_education: Answer) -> bool:
        """True if this line belongs to the outcome's group (or reason) and age band."""
        if outcome.group.value not in self.applies_to and outcome.reason.value not in self.applies_to:
            return False
        if self.bands is not None and outcome.band.value not in self.bands:
            return False
        return not (self.condition == "in_education" and in_education == Answer.NO)

    @property
    def line(self) -> str:
        """The plain-words line with its source in brackets."""
        return f"{self.text} ({self.source})"


def parse_entitlements(raw: Any) -> tuple[Entitlement, ...]:
    """Build entitlements from parsed YAML; any schema mistake is an error (this is law, not decoration)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("entitlements"), list):
        raise ValueError("entitlements.yml must hold a list under 'entitlements'")
    found: list[Entitlement] = []
    seen: set[str] = set()
    for n, item in enumerate(raw["entitlements"], start=1):
        where = f"entitlement {n} ({item.get('id') if isinstance(item, dict) else item!r})"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: must be a mapping")
        for key in ("id", "title", "text", "applies_to", "source"):
            if not item.get(key):
                raise ValueError(f"{where}: '{key}' is missing or empty")
        if item["id"] in seen:
            raise ValueError(f"{where}: duplicate id")
        seen.add(item["id"])
        applies_to = frozenset(str(x) for x in item["applies_to"])
        if unknown := applies_to - _KNOWN_TARGETS:
            raise ValueError(f"{where}: unknown group or reason {sorted(unknown)}")
        bands = item.get("bands")
        if bands is not None:
            bands = frozenset(str(b) for b in bands)
            if unknown := bands - _KNOWN_BANDS:
                raise ValueError(f"{where}: unknown age band {sorted(unknown)}")
        condition = item.get("condition")
        if condition is not None and condition not in CONDITIONS:
            raise ValueError(f"{where}: unknown condition '{condition}'")
        in_force = bool(item.get("in_force", True))
        if not in_force and "ask" not in str(item["text"]).lower():
            raise ValueError(f"{where}: a duty not yet in force must tell the reader to ask")
        found.append(Entitlement(
            id=str(item["id"]), title=str(item["title"]), text=" ".join(str(item["text"]).split()),
            applies_to=applies_to, bands=bands, source=str(item["source"]).strip(),
            source_ids=tuple(str(s) for s in item.get("source_ids") or ()), condition=condition,
            new=bool(item.get("new", False)), in_force=in_force))
    return tuple(found)


def load_entitlements(path: Path = ENTITLEMENTS_FILE) -> tuple[Entitlement, ...]:
    """Read the national entitlements file."""
    with Path(path).open(encoding="utf-8") as handle:
        return parse_entitlements(yaml.safe_load(handle))


def entitlements_for_outcome(outcome: Outcome, in_education: Answer,
                             catalogue: tuple[Entitlement, ...] | None = None) -> tuple[Entitlement, ...]:
    """Every line that applies to one possible outcome, in the file's order."""
    catalogue = load_entitlements() if catalogue is None else catalogue
    return tuple(e for e in catalogue if e.applies(outcome, in_education))


def entitlements_for(decision: Decision,
                     catalogue: tuple[Entitlement, ...] | None = None) -> tuple[Entitlement, ...]:
    """What the young person gets for certain: the lines shared by every outcome still open.

    With a certain decision that is everything for their group. With "not sure" answers it is
    only what holds whichever group they turn out to be in, so nothing is promised that might
    not apply; :func:`entitlements_by_group` gives the rest.
    """
    catalogue = load_entitlements() if catalogue is None else catalogue
    per_outcome = [set(entitlements_for_outcome(o, decision.in_education_or_training, catalogue))
                   for o in decision.outcomes]
    shared = set.intersection(*per_outcome) if per_outcome else set()
    return tuple(e for e in catalogue if e in shared)


def entitlements_by_group(decision: Decision,
                          catalogue: tuple[Entitlement, ...] | None = None) -> dict[Group, tuple[Entitlement, ...]]:
    """For each possible group, every line that could apply in it (any of its age bands)."""
    catalogue = load_entitlements() if catalogue is None else catalogue
    result: dict[Group, tuple[Entitlement, ...]] = {}
    for group in sorted(decision.groups, key=list(Group).index):
        lines: set[Entitlement] = set()
        for outcome in decision.outcomes:
            if outcome.group == group:
                lines |= set(entitlements_for_outcome(outcome, decision.in_education_or_training, catalogue))
        result[group] = tuple(e for e in catalogue if e in lines)
    return result
