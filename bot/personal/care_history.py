"""A signed-in young person's date of birth and care episodes, as the care-leaver rules want them.

The rules in ``bot.knowledge.care_leavers`` work on :class:`CareEpisode` facts and never
see the case store; this module is the one place that turns stored rows into those facts.
The caller has already verified the sign-in token, so ``case_ref`` comes from it, never
from chat text. Only that one person's rows are read. Nothing is logged: a date of birth
and a care history are personal data. Database errors are left to the caller, which
already turns them into a kind reply (see ``bot.personal.lookups``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.knowledge.care_leavers.facts import CareEpisode
from bot.personal.casestore import models

SessionFactory = Callable[[], Session]


@dataclass(frozen=True)
class CareHistory:
    """What the care-leaver rules need about one young person, and nothing else."""

    date_of_birth: date
    episodes: list[CareEpisode]


def care_history(session_factory: SessionFactory, case_ref: str) -> CareHistory | None:
    """The date of birth and episodes (oldest first) for ``case_ref``; None if there is no such case."""
    with session_factory() as session:
        person = session.execute(
            select(models.YoungPerson.id, models.YoungPerson.date_of_birth)
            .where(models.YoungPerson.case_ref == case_ref)
        ).one_or_none()
        if person is None:
            return None
        rows = session.execute(
            select(models.CareEpisode.start_date, models.CareEpisode.end_date, models.CareEpisode.legal_status)
            .where(models.CareEpisode.young_person_id == person.id)
            .order_by(models.CareEpisode.start_date, models.CareEpisode.id)
        ).all()
    return CareHistory(person.date_of_birth, [CareEpisode(start, end, status) for start, end, status in rows])
