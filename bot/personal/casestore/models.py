"""The case store's tables: only what the personal lookups need, nothing more.

We hold the least personal data that answers "when is my next review?", "who is my
advocate?" and "what am I entitled to as a care leaver?". For the last one a care episode
is just a start date, an end date and a legal status code: no placement, address, carer or
reason for coming into care, because the care-leaver rules need none of them. Natural keys
(``case_ref``, ``worker_ref``, ``advocate_ref``, ``review_ref``, ``episode_ref``) come from
the council's own system so imports can be re-run without duplicating rows.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

WORKER_KINDS = ("social_worker", "iro", "personal_adviser")
REVIEW_KINDS = ("initial", "second", "subsequent", "pathway_plan")
#: Reviews of a child in care (a pathway plan review is for care leavers).
CHILD_IN_CARE_REVIEW_KINDS = ("initial", "second", "subsequent")
#: Legal status codes of a care episode: s20 accommodated by agreement, s31 care order,
#: s38 interim care order, epo emergency protection order, placement_order, remand (to council
#: accommodation), police_protection, sgo special guardianship order, adoption. The care-leaver
#: rules (bot.knowledge.care_leavers.status) know every one; a unit test keeps the two lists in step.
EPISODE_LEGAL_STATUSES = ("s20", "s31", "s38", "epo", "placement_order", "remand", "police_protection", "sgo",
                          "adoption")


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base for the case store; Alembic migrations mirror this metadata."""


class Worker(Base):
    """A social worker, IRO or personal adviser the young person may contact."""

    __tablename__ = "workers"
    __table_args__ = (CheckConstraint(_in_list("kind", WORKER_KINDS), name="ck_workers_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_ref: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    availability: Mapped[str | None] = mapped_column(Text)


class Advocate(Base):
    """An independent advocate; young people point at one through ``advocate_id``."""

    __tablename__ = "advocates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advocate_ref: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    availability: Mapped[str | None] = mapped_column(Text)


class YoungPerson(Base):
    """A child in care or care leaver; ``first_name`` is for greeting only, never for lookup."""

    __tablename__ = "young_people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    council: Mapped[str] = mapped_column(String(64))
    legal_status: Mapped[str | None] = mapped_column(String(100))
    looked_after_since: Mapped[date | None] = mapped_column(Date)
    care_leaver: Mapped[bool] = mapped_column(Boolean, default=False)
    social_worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    iro_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    personal_adviser_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    advocate_id: Mapped[int | None] = mapped_column(ForeignKey("advocates.id", ondelete="SET NULL"))

    social_worker: Mapped[Worker | None] = relationship(foreign_keys=[social_worker_id])
    iro: Mapped[Worker | None] = relationship(foreign_keys=[iro_id])
    personal_adviser: Mapped[Worker | None] = relationship(foreign_keys=[personal_adviser_id])
    advocate: Mapped[Advocate | None] = relationship()
    reviews: Mapped[list[Review]] = relationship(
        back_populates="young_person", cascade="all, delete-orphan", order_by="Review.id"
    )
    care_episodes: Mapped[list[CareEpisode]] = relationship(
        back_populates="young_person", cascade="all, delete-orphan",
        order_by="[CareEpisode.start_date, CareEpisode.id]",
    )


class Review(Base):
    """One review meeting: booked (future), held (past), or both."""

    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint(_in_list("kind", REVIEW_KINDS), name="ck_reviews_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_ref: Mapped[str] = mapped_column(String(64), unique=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    booked_date: Mapped[date | None] = mapped_column(Date)
    held_date: Mapped[date | None] = mapped_column(Date)
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))

    young_person: Mapped[YoungPerson] = relationship(back_populates="reviews")
    chair: Mapped[Worker | None] = relationship()


class CareEpisode(Base):
    """One continuous period in care (or under an order): dates and a legal status code only.

    ``end_date`` is NULL while the episode is open. An episode may start on the day the
    previous one ended (a change of legal status); the importer refuses real overlaps.
    """

    __tablename__ = "care_episodes"
    __table_args__ = (
        CheckConstraint(_in_list("legal_status", EPISODE_LEGAL_STATUSES), name="ck_care_episodes_legal_status"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_care_episodes_dates"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_ref: Mapped[str] = mapped_column(String(64), unique=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    legal_status: Mapped[str] = mapped_column(String(32))

    young_person: Mapped[YoungPerson] = relationship(back_populates="care_episodes")
