"""Council profiles: the few things that differ by council, each tied to that council's own document.

Councils disagree on local practice (review timings, advocacy, contacts). Keeping those
differences in one small YAML file per council means the bot can never present one council's
practice as if it were the law everywhere, and a council can check its own profile at a glance.

Loading is lenient on purpose: a malformed profile still loads with empty values and the
problem is recorded in ``problems`` so :func:`bot.knowledge.card_checks.check_library` can report every
problem at once instead of stopping at the first.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

REQUIRED_COUNCIL_FIELDS = ("id", "name", "place", "documents", "contacts", "review_timetable", "advocacy")
REQUIRED_TIMETABLE_FIELDS = (
    "first_review_working_days",
    "second_review_after_first_days",
    "second_review_after_first_months",
    "subsequent_review_months",
    "source",
    "stated_by_council",
)


@dataclass(frozen=True)
class Contact:
    """A way to reach the council, exactly as the council's own document gives it."""

    key: str
    label: str
    phone: str | None
    hours: str | None
    email: str | None
    source: str | None


@dataclass(frozen=True)
class ReviewTiming:
    """Review timings for a council; field names match ``bot.personal.review_dates.ReviewTimetable``.

    ``stated_by_council`` is False where the council's document gives no timings, so the
    national rules (the 2010 Regulations) apply and the bot must not say "your council says".
    """

    first_review_working_days: int
    second_review_after_first_days: int | None
    second_review_after_first_months: int | None
    subsequent_review_months: int
    source: str | None
    stated_by_council: bool

    def as_kwargs(self) -> dict[str, Any]:
        """The timing fields only, ready for ``ReviewTimetable(**timing.as_kwargs())``."""
        return {
            "first_review_working_days": self.first_review_working_days,
            "second_review_after_first_days": self.second_review_after_first_days,
            "second_review_after_first_months": self.second_review_after_first_months,
            "subsequent_review_months": self.subsequent_review_months,
        }


@dataclass(frozen=True)
class Advocacy:
    """What the council's document says about advocates; None where it is silent."""

    offer: str | None
    how_to_ask: str | None
    source: str | None


@dataclass(frozen=True)
class CouncilProfile:
    """Everything local about one council. Build with :func:`load_councils`."""

    id: str
    name: str
    place: str
    documents: tuple[str, ...]
    contacts: dict[str, Contact]
    out_of_hours: Contact | None
    review_timetable: ReviewTiming
    advocacy: Advocacy
    problems: tuple[str, ...] = field(default=(), compare=False)

    @property
    def children_services(self) -> Contact | None:
        """The council's general contact for children's services, if its documents give one."""
        return self.contacts.get("children_services")


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _contact(key: str, raw: Any, where: str, problems: list[str]) -> Contact:
    if not isinstance(raw, dict):
        problems.append(f"{where}: contact '{key}' must be a mapping")
        raw = {}
    if not raw.get("label"):
        problems.append(f"{where}: contact '{key}' has no label")
    if not raw.get("source"):
        problems.append(f"{where}: contact '{key}' has no source (only the council's own document may give a contact)")
    return Contact(
        key=key,
        label=str(raw.get("label") or ""),
        phone=raw.get("phone"),
        hours=raw.get("hours"),
        email=raw.get("email"),
        source=raw.get("source"),
    )


def parse_council(raw: Any, where: str) -> CouncilProfile:
    """Build a profile from parsed YAML, recording (not raising) every schema problem."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        problems.append(f"{where}: the file must hold a mapping")
        raw = {}
    for name in REQUIRED_COUNCIL_FIELDS:
        if name not in raw:
            problems.append(f"{where}: missing field '{name}'")
    contacts_raw = raw.get("contacts") or {}
    if not isinstance(contacts_raw, dict):
        problems.append(f"{where}: 'contacts' must be a mapping")
        contacts_raw = {}
    contacts = {key: _contact(key, value, where, problems) for key, value in contacts_raw.items()}
    ooh_raw = raw.get("out_of_hours")
    out_of_hours = None if ooh_raw is None else _contact("out_of_hours", ooh_raw, where, problems)

    tt = raw.get("review_timetable") or {}
    if not isinstance(tt, dict):
        problems.append(f"{where}: 'review_timetable' must be a mapping")
        tt = {}
    for name in REQUIRED_TIMETABLE_FIELDS:
        if name not in tt:
            problems.append(f"{where}: review_timetable is missing '{name}'")
    try:
        timing = ReviewTiming(
            first_review_working_days=int(tt.get("first_review_working_days") or 20),
            second_review_after_first_days=_opt_int(tt.get("second_review_after_first_days")),
            second_review_after_first_months=_opt_int(tt.get("second_review_after_first_months")),
            subsequent_review_months=int(tt.get("subsequent_review_months") or 6),
            source=tt.get("source"),
            stated_by_council=bool(tt.get("stated_by_council", False)),
        )
    except (TypeError, ValueError):
        problems.append(f"{where}: review_timetable numbers must be whole numbers or null")
        timing = ReviewTiming(20, None, 3, 6, None, False)
    if (timing.second_review_after_first_days is None) == (timing.second_review_after_first_months is None):
        problems.append(
            f"{where}: review_timetable needs exactly one of second_review_after_first_days / _months"
        )

    adv = raw.get("advocacy") or {}
    if not isinstance(adv, dict):
        problems.append(f"{where}: 'advocacy' must be a mapping")
        adv = {}
    advocacy = Advocacy(offer=adv.get("offer"), how_to_ask=adv.get("how_to_ask"), source=adv.get("source"))
    if (advocacy.offer or advocacy.how_to_ask) and not advocacy.source:
        problems.append(f"{where}: advocacy text needs a source from the council's own document")

    documents = raw.get("documents") or []
    if not isinstance(documents, list):
        problems.append(f"{where}: 'documents' must be a list")
        documents = []
    return CouncilProfile(
        id=str(raw.get("id") or ""),
        name=str(raw.get("name") or ""),
        place=str(raw.get("place") or ""),
        documents=tuple(str(d) for d in documents),
        contacts=contacts,
        out_of_hours=out_of_hours,
        review_timetable=timing,
        advocacy=advocacy,
        problems=tuple(problems),
    )


def load_councils(content_dir: Path) -> dict[str, CouncilProfile]:
    """Read every ``councils/<id>.yml`` under ``content_dir``, keyed by council id."""
    councils: dict[str, CouncilProfile] = {}
    for path in sorted((Path(content_dir) / "councils").glob("*.yml")):
        where = f"councils/{path.name}"
        with path.open(encoding="utf-8") as handle:
            try:
                raw = yaml.safe_load(handle)
            except yaml.YAMLError as exc:
                raw = None
                where = f"{where} (YAML error: {exc.__class__.__name__})"
        profile = parse_council(raw, where)
        key = profile.id or path.stem
        if profile.id and profile.id != path.stem:
            profile = _with_problem(profile, f"{where}: id '{profile.id}' does not match the file name")
        councils[key] = profile
    return councils


def _with_problem(profile: CouncilProfile, problem: str) -> CouncilProfile:
    return replace(profile, problems=profile.problems + (problem,))
