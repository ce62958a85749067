"""Which care-leaver group a young person is in (Children Act 1989, as amended).

Why a decision table and not a chatbot guess: what a young person is owed depends on the
group, and the groups have sharp legal edges (the 16th birthday, 13 weeks since 14, the 18th,
21st and 25th birthdays). Both ways in (the guided check's answers, and a signed-in care
leaver's care episodes from the case store) are reduced to the same few facts and meet in
one rule, :func:`_classify`, so the two can never disagree.

"Not sure" is allowed for every answer: each unsure answer is tried both ways and the
decision carries every group that could apply, with who can confirm it.

The rules table, with its legal sources and what we were unsure of, is in
``docs/care_leavers.md``.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import Enum
from itertools import product
from typing import Iterable, Sequence

from bot.knowledge.care_leavers.facts import Answer, CareEpisode, GuidedAnswers

#: "A period or periods amounting in all to 13 weeks" (Care Planning, Placement and Case
#: Review (England) Regulations 2010, reg 40, made under Children Act 1989 Sch 2 para 19B(2)).
THIRTEEN_WEEKS = timedelta(weeks=13)

#: Legal status codes that mean the council was looking after the child (Children Act 1989
#: s22(1)): accommodation (s20), care order (s31), interim care order (s38), emergency
#: protection order with the council accommodating (s44 with s21), placement order
#: (Adoption and Children Act 2002 s18(3)) and remand to council accommodation (LASPO 2012 s104).
LOOKED_AFTER_STATUSES = frozenset({"s20", "s31", "s38", "epo", "placement_order", "remand"})
#: Codes we recognise that are not "looked after" and so never count towards the 13 weeks:
#: special guardianship and adoption end being looked after; a child arrangements order is
#: not care; police protection (s46) is not being looked after unless the council then
#: accommodates the child (recorded as s20/epo); planned short breaks are excluded from the
#: 13 weeks by reg 40(2) of the 2010 Care Planning Regulations.
NOT_LOOKED_AFTER_STATUSES = frozenset({"sgo", "adoption", "cao", "police_protection", "short_breaks"})

#: Oldest and youngest ages the check accepts; anything else is a typing mistake.
MIN_AGE = 0
MAX_AGE = 120


class Group(str, Enum):
    """The legal groups, plus the two "not (yet) a care leaver" outcomes."""

    ELIGIBLE = "eligible"
    RELEVANT = "relevant"
    FORMER_RELEVANT = "former_relevant"
    QUALIFYING = "qualifying"
    IN_CARE_NOT_YET_ELIGIBLE = "in_care_not_yet_eligible"
    NOT_A_CARE_LEAVER = "not_a_care_leaver"


#: The four groups the law calls care leavers (with duties to them).
CARE_LEAVER_GROUPS = frozenset({Group.ELIGIBLE, Group.RELEVANT, Group.FORMER_RELEVANT, Group.QUALIFYING})


class Reason(str, Enum):
    """Why a young person is in their group: the explanation and the tests key on this."""

    IN_CARE_13_WEEKS = "in_care_13_weeks"                      # eligible
    LEFT_CARE_AFTER_ELIGIBLE = "left_care_after_eligible"      # relevant
    WAS_ELIGIBLE_OR_RELEVANT = "was_eligible_or_relevant"      # former relevant
    IN_CARE_AFTER_16_UNDER_13_WEEKS = "in_care_after_16_under_13_weeks"  # qualifying
    SPECIAL_GUARDIANSHIP_AFTER_CARE = "special_guardianship_after_care"  # qualifying, s24(1A)
    IN_CARE_UNDER_13_WEEKS = "in_care_under_13_weeks"          # in care, not yet eligible
    UNDER_16 = "under_16"
    NOT_IN_CARE_AFTER_16 = "not_in_care_after_16"              # guided check: can't tell which of the next two
    LEFT_CARE_BEFORE_16 = "left_care_before_16"
    NEVER_LOOKED_AFTER = "never_looked_after"
    SPECIAL_GUARDIANSHIP = "special_guardianship"              # SGO not straight from care
    ADOPTION = "adoption"
    PAST_21_NOT_IN_EDUCATION = "past_21_not_in_education"      # qualifying duties end at 21 unless studying
    AGED_25_OR_OVER = "aged_25_or_over"


class AgeBand(str, Enum):
    """The age bands the law draws lines between."""

    UNDER_16 = "under-16"
    AGE_16_17 = "16-17"
    AGE_18_20 = "18-20"
    AGE_21_24 = "21-24"
    AGE_25_PLUS = "25-plus"


@dataclass(frozen=True)
class Outcome:
    """One possible answer: a group, the reason for it, and the age band it was worked out for.

    The band matters because what a group brings changes at 21 (and a range of ages gives a
    range of outcomes when the age is not known).
    """

    group: Group
    reason: Reason
    band: AgeBand


@dataclass(frozen=True)
class Decision:
    """The result of the check: every group that could apply, and what the answer rests on.

    ``outcomes`` has one entry when the facts settle it; more when "not sure" answers leave
    it open, in which case ``confirm_with`` says who can settle it.
    """

    outcomes: frozenset[Outcome]
    age: int | None
    in_education_or_training: Answer
    notes: tuple[str, ...] = ()
    eligible_from: date | None = None          # when an in-care 16/17-year-old reaches 13 weeks, if they stay
    days_looked_after_since_14: int | None = None

    @property
    def is_certain(self) -> bool:
        """True when only one group fits."""
        return len(self.groups) == 1

    @property
    def groups(self) -> frozenset[Group]:
        """Every group that could apply."""
        return frozenset(o.group for o in self.outcomes)

    @property
    def group(self) -> Group | None:
        """The group, or None while "not sure" answers leave more than one open."""
        return next(iter(self.groups)) if self.is_certain else None

    @property
    def reasons(self) -> frozenset[Reason]:
        return frozenset(o.reason for o in self.outcomes)

    @property
    def may_be_care_leaver(self) -> bool:
        return bool(self.groups & CARE_LEAVER_GROUPS)

    @property
    def confirm_with(self) -> tuple[str, ...]:
        """Who can settle an open answer (empty when the answer is certain)."""
        if self.is_certain:
            return ()
        return ("your personal adviser (PA) or leaving care worker, if you have one",
                "your social worker, or the council's leaving care team",
                "Become's Care Advice Line, a free national advice line for young people in care and care leavers")


# ---- dates --------------------------------------------------------------------------------

def birthday(date_of_birth: date, years: int) -> date:
    """The day someone turns ``years`` old.

    Someone born on 29 February turns a year older on 1 March in a year that has no
    29 February (the usual reading in England and Wales of Family Law Reform Act 1969 s9).
    """
    year = date_of_birth.year + years
    if date_of_birth.month == 2 and date_of_birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return date_of_birth.replace(year=year)


def age_on(date_of_birth: date, day: date) -> int:
    """Age in whole years on ``day`` (the birthday itself counts as the new age)."""
    if day < date_of_birth:
        raise ValueError("the date is before the date of birth")
    years = day.year - date_of_birth.year
    return years if day >= birthday(date_of_birth, years) else years - 1


def age_band(age: int) -> AgeBand:
    _check_age(age)
    if age < 16:
        return AgeBand.UNDER_16
    if age < 18:
        return AgeBand.AGE_16_17
    if age < 21:
        return AgeBand.AGE_18_20
    if age < 25:
        return AgeBand.AGE_21_24
    return AgeBand.AGE_25_PLUS


def _check_age(age: int) -> None:
    if isinstance(age, bool) or not isinstance(age, int):
        raise ValueError(f"age must be a whole number of years, not {age!r}")
    if not MIN_AGE <= age <= MAX_AGE:
        raise ValueError(f"age {age} is out of range ({MIN_AGE} to {MAX_AGE})")


# ---- the one rule -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Facts:
    """The facts the rule needs, each settled (True/False) or unknown (None where optional)."""

    band: AgeBand
    in_care_after_16: bool
    thirteen_weeks: bool
    still_in_care: bool
    in_education: bool
    sgo_after_care: bool = False
    other_sgo: bool = False
    adopted: bool = False
    ever_looked_after: bool | None = None


def _classify(f: _Facts) -> Outcome | None:
    """The rules table (docs/care_leavers.md). None means the facts contradict each other."""
    if f.band == AgeBand.UNDER_16:
        return Outcome(Group.NOT_A_CARE_LEAVER, Reason.UNDER_16, f.band)
    if f.band == AgeBand.AGE_25_PLUS:
        return Outcome(Group.NOT_A_CARE_LEAVER, Reason.AGED_25_OR_OVER, f.band)
    if f.band == AgeBand.AGE_16_17 and f.still_in_care and not f.in_care_after_16:
        return None  # in care now at 16 or 17 means in care after the 16th birthday
    if not f.in_care_after_16:
        if f.sgo_after_care:
            # s24(1A): under 21 with an SGO made straight after being looked after; help with
            # education or training continues to 25 (s24B(3)).
            if f.band != AgeBand.AGE_21_24 or f.in_education:
                return Outcome(Group.QUALIFYING, Reason.SPECIAL_GUARDIANSHIP_AFTER_CARE, f.band)
            return Outcome(Group.NOT_A_CARE_LEAVER, Reason.PAST_21_NOT_IN_EDUCATION, f.band)
        if f.other_sgo:
            return Outcome(Group.NOT_A_CARE_LEAVER, Reason.SPECIAL_GUARDIANSHIP, f.band)
        if f.adopted:
            return Outcome(Group.NOT_A_CARE_LEAVER, Reason.ADOPTION, f.band)
        if f.ever_looked_after is None:
            return Outcome(Group.NOT_A_CARE_LEAVER, Reason.NOT_IN_CARE_AFTER_16, f.band)
        reason = Reason.LEFT_CARE_BEFORE_16 if f.ever_looked_after else Reason.NEVER_LOOKED_AFTER
        return Outcome(Group.NOT_A_CARE_LEAVER, reason, f.band)
    if f.band == AgeBand.AGE_16_17:
        if f.still_in_care:
            # Sch 2 para 19B(2) with reg 40 of the 2010 Care Planning Regulations.
            return (Outcome(Group.ELIGIBLE, Reason.IN_CARE_13_WEEKS, f.band) if f.thirteen_weeks
                    else Outcome(Group.IN_CARE_NOT_YET_ELIGIBLE, Reason.IN_CARE_UNDER_13_WEEKS, f.band))
        # s23A(2): was eligible before last leaving care; otherwise s24(1B).
        return (Outcome(Group.RELEVANT, Reason.LEFT_CARE_AFTER_ELIGIBLE, f.band) if f.thirteen_weeks
                else Outcome(Group.QUALIFYING, Reason.IN_CARE_AFTER_16_UNDER_13_WEEKS, f.band))
    if f.thirteen_weeks:
        # s23C(1): 18 or over and was eligible or relevant. The group stays; what it brings
        # after 21 is narrower (s23CZB, s23CA), which entitlements.py works out by age.
        return Outcome(Group.FORMER_RELEVANT, Reason.WAS_ELIGIBLE_OR_RELEVANT, f.band)
    if f.band == AgeBand.AGE_18_20 or f.in_education:
        return Outcome(Group.QUALIFYING, Reason.IN_CARE_AFTER_16_UNDER_13_WEEKS, f.band)
    return Outcome(Group.NOT_A_CARE_LEAVER, Reason.PAST_21_NOT_IN_EDUCATION, f.band)


def _both_ways(answer: Answer | None) -> tuple[bool, ...]:
    """A settled answer one way; "not sure" both ways; not asked (None) as "no"."""
    if answer is None or answer == Answer.NO:
        return (False,)
    if answer == Answer.YES:
        return (True,)
    return (True, False)


# ---- way in (a): the guided check --------------------------------------------------------

def decide_from_answers(answers: GuidedAnswers, today: date | None = None) -> Decision:
    """Work out the group from the guided check's answers; unsure answers give a range.

    Raises ValueError for an impossible age, a date of birth in the future, or answers that
    contradict each other (for example "still in care" at 17 but "not in care after 16").
    """
    today = today or date.today()
    age = _age_from_answers(answers, today)
    bands: Iterable[AgeBand] = (age_band(age),) if age is not None else tuple(AgeBand)
    fields = (answers.in_care_after_16, answers.thirteen_weeks_since_14, answers.still_in_care,
              answers.in_education_or_training)
    for value in fields + (answers.special_guardianship_after_care, answers.adopted):
        if value is not None and not isinstance(value, Answer):
            raise ValueError(f"'{value}' is not an answer: use Answer.YES, Answer.NO or Answer.NOT_SURE")
    outcomes: set[Outcome] = set()
    for band, after16, weeks, still, edu, sgo, adopted in product(
            bands, *(_both_ways(a) for a in fields),
            _both_ways(answers.special_guardianship_after_care), _both_ways(answers.adopted)):
        outcome = _classify(_Facts(band, after16, weeks, still, edu, sgo_after_care=sgo, adopted=adopted))
        if outcome is not None:
            outcomes.add(outcome)
    if not outcomes:
        raise ValueError("these answers contradict each other: someone still in care at 16 or 17 "
                         "was in care after their 16th birthday")
    notes = []
    if age is not None and age >= 18 and answers.still_in_care == Answer.YES:
        notes.append("Care ends at 18 in law. If you still live with your foster carers, that is "
                     "probably 'staying put', and you count as having left care.")
    return Decision(frozenset(outcomes), age, answers.in_education_or_training, tuple(notes))


def _age_from_answers(answers: GuidedAnswers, today: date) -> int | None:
    if answers.date_of_birth is not None:
        if answers.date_of_birth > today:
            raise ValueError("the date of birth is in the future")
        age = age_on(answers.date_of_birth, today)
        if answers.age is not None and answers.age != age:
            raise ValueError(f"the age given ({answers.age}) does not match the date of birth ({age})")
        _check_age(age)
        return age
    if answers.age is not None:
        _check_age(answers.age)
    return answers.age


# ---- way in (b): a signed-in care leaver's episodes ---------------------------------------

def decide_from_episodes(date_of_birth: date, episodes: Sequence[CareEpisode], today: date,
                         in_education_or_training: Answer = Answer.NOT_SURE) -> Decision:
    """Work out the group from the case store's care episodes.

    Only looked-after time counts, only from the 14th birthday, and never after the 18th (care
    ends at 18). Episodes are added up, so split periods count; overlapping records are merged
    so a change of legal status is not counted twice. ``end`` is the day the episode ended
    (the young person was not looked after that day): an episode from 1 May to 31 July counts
    91 days. Raises ValueError on bad data rather than guessing.
    """
    _check_episodes(date_of_birth, episodes, today)
    age = age_on(date_of_birth, today)
    _check_age(age)
    b14, b16, b18 = (birthday(date_of_birth, n) for n in (14, 16, 18))
    care_stops = min(b18, today)
    looked_after = _merge([(e.start, e.end or today) for e in episodes
                           if e.legal_status.lower() in LOOKED_AFTER_STATUSES])
    open_now = any(e.end is None and e.legal_status.lower() in LOOKED_AFTER_STATUSES for e in episodes)
    still_in_care = open_now and today < b18
    days_since_14 = sum(_overlap(span, (b14, care_stops)) for span in looked_after)
    after16 = any(_overlap(span, (b16, care_stops)) for span in looked_after) or (still_in_care and today >= b16)
    sgos = [e for e in episodes if e.legal_status.lower() == "sgo"]
    sgo_after_care = any(_straight_after_care(s, episodes) and _in_force(s, today, b18) for s in sgos)
    facts = _Facts(
        band=age_band(age),
        in_care_after_16=after16,
        thirteen_weeks=days_since_14 >= THIRTEEN_WEEKS.days,
        still_in_care=still_in_care,
        in_education=False,
        sgo_after_care=sgo_after_care,
        other_sgo=bool(sgos) and not sgo_after_care,
        adopted=any(e.legal_status.lower() == "adoption" for e in episodes),
        ever_looked_after=bool(looked_after) or open_now,
    )
    outcomes = set()
    for edu in _both_ways(in_education_or_training):
        outcome = _classify(replace(facts, in_education=edu))
        assert outcome is not None, "facts from episodes cannot contradict each other"
        outcomes.add(outcome)

    notes = []
    eligible_from = None
    if Group.IN_CARE_NOT_YET_ELIGIBLE in {o.group for o in outcomes}:
        reached = today + timedelta(days=THIRTEEN_WEEKS.days - days_since_14)
        eligible_from = reached if reached < b18 else None
    if open_now and today >= b18:
        notes.append("The record shows a care episode still open after the 18th birthday; care ends at 18 "
                     "in law, so the leaving care team should update the record.")
    if (sgos or facts.adopted) and after16 and facts.thirteen_weeks:
        notes.append("Care ended with a special guardianship or adoption order after the 16th birthday. "
                     "Ask the leaving care team to confirm the group: this case is unusual.")
    return Decision(frozenset(outcomes), age, in_education_or_training, tuple(notes),
                    eligible_from=eligible_from, days_looked_after_since_14=days_since_14)


def _check_episodes(date_of_birth: date, episodes: Sequence[CareEpisode], today: date) -> None:
    if date_of_birth > today:
        raise ValueError("the date of birth is in the future")
    known = LOOKED_AFTER_STATUSES | NOT_LOOKED_AFTER_STATUSES
    for n, e in enumerate(episodes, start=1):
        where = f"care episode {n} ({e.legal_status}, from {e.start.isoformat()})"
        if not isinstance(e.legal_status, str) or e.legal_status.lower() not in known:
            raise ValueError(f"{where}: unknown legal status; expected one of {sorted(known)}")
        if e.end is not None and e.end < e.start:
            raise ValueError(f"{where}: ends before it starts")
        if e.start > today or (e.end is not None and e.end > today):
            raise ValueError(f"{where}: has a date in the future")
        if e.start < date_of_birth:
            raise ValueError(f"{where}: starts before the date of birth")


def _merge(spans: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """Join overlapping or touching periods so no day is counted twice."""
    merged: list[tuple[date, date]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap(span: tuple[date, date], window: tuple[date, date]) -> int:
    """Days of ``span`` inside ``window`` (both [start, end))."""
    start, end = max(span[0], window[0]), min(span[1], window[1])
    return max((end - start).days, 0)


def _straight_after_care(sgo: CareEpisode, episodes: Sequence[CareEpisode]) -> bool:
    """s24(1A)(c): looked after immediately before the order (care ended the day of it or the day before)."""
    return any(e.end is not None and e.legal_status.lower() in LOOKED_AFTER_STATUSES
               and sgo.start - timedelta(days=1) <= e.end <= sgo.start for e in episodes)


def _in_force(sgo: CareEpisode, today: date, b18: date) -> bool:
    """s24(1A)(b): the order is in force now, or was when they turned 18."""
    return sgo.end is None or sgo.end >= min(today, b18)
