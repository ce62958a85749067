"""A signed-in young person's care history for the care-leaver rules, and "who is my personal adviser?"."""
from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.unit.conftest import DEMO_TODAY

from bot.knowledge.care_leavers.facts import CareEpisode
from bot.personal.care_history import CareHistory, care_history
from bot.personal.casestore import models
from bot.personal.casestore.db import session_factory
from bot.personal.casestore.demo import DEMO_PEOPLE
from bot.personal.lookups import personal_adviser_reply
from bot.personal.review_dates import add_months

TODAY = DEMO_TODAY  # a Monday


@pytest.fixture
def store(demo_store: sessionmaker[Session]) -> sessionmaker[Session]:
    return demo_store


def _add_person(store: sessionmaker[Session], ref: str, born: date,
                spans: list[tuple[str, date, date | None, str]]) -> None:
    with store() as s, s.begin():
        s.add(models.YoungPerson(
            case_ref=ref, first_name="Test Person", date_of_birth=born, council="durham", care_leaver=True,
            care_episodes=[models.CareEpisode(episode_ref=e, start_date=a, end_date=b, legal_status=c)
                           for e, a, b, c in spans]))


# ---- care history ---------------------------------------------------------------------

def test_known_case_gives_birth_date_and_episodes_as_facts(store: sessionmaker[Session]) -> None:
    history = care_history(store, "DEMO-004")
    assert isinstance(history, CareHistory)
    assert history.date_of_birth == add_months(TODAY, -12 * 19) - timedelta(days=40)  # as the demo builds Kai
    assert all(type(e) is CareEpisode for e in history.episodes)
    assert [e.legal_status for e in history.episodes] == ["s20", "s31"]
    assert history.episodes[0].end == history.episodes[1].start
    assert history.episodes[1].end == add_months(history.date_of_birth, 18 * 12)


def test_open_episode_has_no_end(store: sessionmaker[Session]) -> None:
    history = care_history(store, "DEMO-007")
    assert history is not None
    assert [(e.legal_status, e.end is None) for e in history.episodes] == [("s20", False), ("s31", True)]


def test_person_without_episodes_gets_an_empty_list(store: sessionmaker[Session]) -> None:
    history = care_history(store, "DEMO-006")
    assert history is not None and history.episodes == []


def test_unknown_case_ref_is_none(store: sessionmaker[Session]) -> None:
    assert care_history(store, "NOBODY-42") is None
    assert care_history(store, "") is None


def test_episodes_come_sorted_by_start_whatever_the_stored_order(store: sessionmaker[Session]) -> None:
    _add_person(store, "REAL-1", date(2008, 1, 1), [
        ("R1-C", date(2024, 3, 1), None, "s31"),
        ("R1-A", date(2022, 1, 1), date(2023, 1, 1), "s20"),
        ("R1-B", date(2023, 1, 1), date(2024, 3, 1), "s38"),
    ])
    history = care_history(store, "REAL-1")
    assert history == CareHistory(date(2008, 1, 1), [
        CareEpisode(date(2022, 1, 1), date(2023, 1, 1), "s20"),
        CareEpisode(date(2023, 1, 1), date(2024, 3, 1), "s38"),
        CareEpisode(date(2024, 3, 1), None, "s31"),
    ])


def test_never_returns_another_persons_episodes(store: sessionmaker[Session]) -> None:
    # Two people whose episodes are stored interleaved, on the same dates, under similar refs.
    _add_person(store, "REAL-1", date(2008, 1, 1), [("E-1", date(2022, 1, 1), date(2023, 1, 1), "s20")])
    _add_person(store, "REAL-11", date(2009, 2, 2), [("E-11", date(2022, 1, 1), None, "s31")])
    with store() as s, s.begin():
        first = s.scalars(select(models.YoungPerson).where(models.YoungPerson.case_ref == "REAL-1")).one()
        first.care_episodes.append(models.CareEpisode(episode_ref="E-2", start_date=date(2023, 1, 1),
                                                      legal_status="sgo"))
    assert care_history(store, "REAL-1") == CareHistory(date(2008, 1, 1), [
        CareEpisode(date(2022, 1, 1), date(2023, 1, 1), "s20"), CareEpisode(date(2023, 1, 1), None, "sgo")])
    assert care_history(store, "REAL-11") == CareHistory(date(2009, 2, 2), [CareEpisode(date(2022, 1, 1), None, "s31")])
    with store() as s:
        stored = {p.case_ref: [(e.start_date, e.end_date, e.legal_status) for e in p.care_episodes]
                  for p in s.scalars(select(models.YoungPerson))}
    for person in DEMO_PEOPLE:  # every demo person gets exactly their own rows
        history = care_history(store, person["case_ref"])
        assert history is not None
        assert [(e.start, e.end, e.legal_status) for e in history.episodes] == stored[person["case_ref"]]
    assert len({len(v) for v in stored.values()}) > 1  # the people really differ


def test_care_history_logs_nothing(store: sessionmaker[Session], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        care_history(store, "DEMO-004")
        care_history(store, "NOBODY-42")
    assert caplog.records == []


# ---- who is my personal adviser ----------------------------------------------------

def test_care_leaver_with_adviser_gets_name_and_contact(store: sessionmaker[Session]) -> None:
    reply = personal_adviser_reply(store, "DEMO-004")
    assert reply.outcome == "assigned"
    for part in ("Your personal adviser is Demo Pat.", "07700 900301", "demo.pat@example.org",
                 "late evening on Wednesdays", "leaving care worker"):
        assert part in reply.text


def test_eligible_child_in_care_has_an_adviser_too(store: sessionmaker[Session]) -> None:
    reply = personal_adviser_reply(store, "DEMO-007")
    assert reply.outcome == "assigned" and "Demo Pat" in reply.text


def test_child_in_care_without_adviser_is_pointed_to_social_worker(store: sessionmaker[Session]) -> None:
    reply = personal_adviser_reply(store, "DEMO-005")
    assert reply.outcome == "none_assigned"
    assert "from about 16" in reply.text
    assert "Demo Morgan" in reply.text and "Demo Iris" in reply.text  # Robin's social worker and IRO
    assert "Demo Pat" not in reply.text


def test_care_leaver_without_adviser_is_pointed_to_leaving_care_team(store: sessionmaker[Session]) -> None:
    with store() as s, s.begin():
        kai = s.scalars(select(models.YoungPerson).where(models.YoungPerson.case_ref == "DEMO-004")).one()
        kai.personal_adviser = None
    reply = personal_adviser_reply(store, "DEMO-004")
    assert reply.outcome == "none_assigned"
    assert "leaving care team" in reply.text
    assert "IRO" not in reply.text and "Demo Pat" not in reply.text


def test_adviser_not_found_does_not_echo_the_ref(store: sessionmaker[Session]) -> None:
    reply = personal_adviser_reply(store, "NOBODY-42")
    assert reply.outcome == "not_found" and "NOBODY-42" not in reply.text
    assert "leaving care team" in reply.text


def test_adviser_lookup_when_the_store_is_down(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    factory = session_factory(f"sqlite:///{tmp_path / 'never_migrated.sqlite'}")
    with caplog.at_level(logging.DEBUG, logger="bot"):
        reply = personal_adviser_reply(factory, "DEMO-004")
    assert reply.outcome == "store_unavailable" and "try again" in reply.text
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "OperationalError" in logged and "DEMO-004" not in logged


def test_every_stored_legal_status_is_known_to_the_care_leaver_rules():
    """A status the importer accepts but the rules do not know would be silently ignored."""
    from bot.knowledge.care_leavers.status import LOOKED_AFTER_STATUSES, NOT_LOOKED_AFTER_STATUSES
    from bot.personal.casestore.models import EPISODE_LEGAL_STATUSES

    assert set(EPISODE_LEGAL_STATUSES) <= LOOKED_AFTER_STATUSES | NOT_LOOKED_AFTER_STATUSES
