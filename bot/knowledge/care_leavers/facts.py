"""The facts the care-leaver rules work from, whoever supplies them.

A guided check asks the young person; for a signed-in care leaver the case store supplies
the same facts from their care episodes. Both meet here, so the rules never know (or care)
where a fact came from.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum


@dataclass(frozen=True)
class CareEpisode:
    """One continuous period of being looked after (or under an order), from the case store.

    ``end`` is None while the episode is still open. ``legal_status`` is a short code such
    as ``s20`` (accommodated by agreement), ``s31`` (care order), ``s38`` (interim care
    order), ``epo`` (emergency protection order), ``sgo`` (special guardianship order) or
    ``adoption``; the importer checks the code against its list.
    """

    start: date
    end: date | None
    legal_status: str


class Answer(str, Enum):
    """One answer in the guided check. "Not sure" is always allowed: nobody should have to guess."""

    YES = "yes"
    NO = "no"
    NOT_SURE = "not_sure"

    @classmethod
    def parse(cls, value: "Answer | str | bool | None") -> "Answer":
        """Accept the forms a form or slot hands us (True, "yes", "not sure"); refuse anything else."""
        if isinstance(value, Answer):
            return value
        if value is None:
            return cls.NOT_SURE
        if isinstance(value, bool):
            return cls.YES if value else cls.NO
        text = str(value).strip().lower().replace("'", "").replace("-", " ").replace("_", " ")
        if text in {"yes", "y", "true"}:
            return cls.YES
        if text in {"no", "n", "false"}:
            return cls.NO
        if text in {"not sure", "notsure", "unsure", "dont know", "do not know", "maybe", "?"}:
            return cls.NOT_SURE
        raise ValueError(f"'{value}' is not an answer: use yes, no or not sure")


@dataclass(frozen=True)
class GuidedAnswers:
    """What the guided check asks a young person, in the order it asks.

    Give ``age`` or ``date_of_birth`` (with ``today``); if neither is known every age band is
    considered, so the answer is a range. ``in_care_after_16``: were you in care on or after
    your 16th birthday. ``thirteen_weeks_since_14``: were you in care for 13 weeks or more in
    total (all the times added up) since your 14th birthday. ``special_guardianship_after_care``
    and ``adopted`` are optional extra questions (None = not asked, treated as "no").
    """

    age: int | None = None
    date_of_birth: date | None = None
    in_care_after_16: Answer = Answer.NOT_SURE
    thirteen_weeks_since_14: Answer = Answer.NOT_SURE
    still_in_care: Answer = Answer.NOT_SURE
    in_education_or_training: Answer = Answer.NOT_SURE
    special_guardianship_after_care: Answer | None = None
    adopted: Answer | None = None
