"""Personal lookup replies for every demo situation, and when the store is down."""
from __future__ import annotations

import logging
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.unit.conftest import DEMO_TODAY

from bot.personal.casestore.db import session_factory
from bot.personal.casestore.demo import DEMO_PEOPLE, load_demo
from bot.personal.casestore.migrate import upgrade_to_head
from bot.personal.casestore.models import Review, YoungPerson
from bot.personal.lookups import AdvocacyInfo, LookupReply, advocate_reply, next_review_reply
from bot.personal.review_dates import CALDERDALE_TIMETABLE, NATIONAL_TIMETABLE

TODAY = DEMO_TODAY  # a Monday
NY = "North Yorkshire"
NO_DETAILS = AdvocacyInfo(council_name=NY, how_to_ask=None, source=None)


@pytest.fixture
def store(demo_store: sessionmaker[Session]) -> sessionmaker[Session]:
    return demo_store


def review(store: sessionmaker[Session], case_ref: str, timetable=NATIONAL_TIMETABLE, today: date = TODAY) -> LookupReply:  # type: ignore[no-untyped-def]
    return next_review_reply(store, case_ref, timetable, NY, today)


# ---- next review -------------------------------------------------------------------

def test_booked_review_gives_date_and_chair(store: sessionmaker[Session]) -> None:
    reply = review(store, "DEMO-001")
    assert reply.outcome == "booked"
    assert "Thursday 10 December" in reply.text  # booked 17 days after TODAY
    assert "Demo Iris" in reply.text
    assert "IRO (Independent Reviewing Officer), the person who chairs your review" in reply.text
    assert "estimate" not in reply.text


def test_came_into_care_last_week_gets_first_review_estimate(store: sessionmaker[Session]) -> None:
    reply = review(store, "DEMO-002")
    assert reply.outcome == "estimated"
    # In care since Tue 17 Nov: 20 working days later is Tue 15 Dec.
    assert "first review should happen by Tuesday 15 December" in reply.text
    assert "estimate" in reply.text
    assert "Demo Morgan" in reply.text and "Demo Quinn" in reply.text


def test_late_held_review_moves_the_estimate(store: sessionmaker[Session]) -> None:
    reply = review(store, "DEMO-003")
    assert reply.outcome == "estimated"
    # Second review held late on 24 Sep 2026, so the next is due 6 months later.
    assert "Wednesday 24 March 2027" in reply.text
    assert "should have happened" not in reply.text


def test_care_leaver_gets_pathway_plan_and_personal_adviser(store: sessionmaker[Session]) -> None:
    reply = review(store, "DEMO-004")
    assert reply.outcome == "care_leaver"
    assert "pathway plan" in reply.text
    assert "Wednesday 23 December" in reply.text  # booked pathway plan review
    assert "Demo Pat" in reply.text
    assert "IRO" not in reply.text


def test_second_review_estimate_follows_the_timetable(store: sessionmaker[Session]) -> None:
    # First review held Tue 10 Nov 2026.
    assert "second review should happen by Wednesday 10 February 2027" in review(store, "DEMO-005").text
    calderdale = review(store, "DEMO-005", CALDERDALE_TIMETABLE)
    assert "Tuesday 2 February 2027" in calderdale.text  # 12 weeks after the first


def test_incomplete_record_says_so_kindly(store: sessionmaker[Session]) -> None:
    reply = review(store, "DEMO-006")
    assert reply.outcome == "incomplete"
    assert "missing" in reply.text and "not your fault" in reply.text
    assert "Demo Sam" in reply.text


def test_overdue_estimate_does_not_pretend_it_is_future(store: sessionmaker[Session]) -> None:
    reply = review(store, "DEMO-007")
    assert reply.outcome == "estimated"
    assert "should have happened by Wednesday 7 October" in reply.text
    assert "check" in reply.text


def test_unknown_case_ref_is_not_found_and_not_echoed(store: sessionmaker[Session]) -> None:
    reply = review(store, "NOBODY-42")
    assert reply.outcome == "not_found"
    assert "NOBODY-42" not in reply.text
    assert "social worker" in reply.text


def test_booked_review_today_says_today(store: sessionmaker[Session]) -> None:
    with store() as s, s.begin():
        robin = s.scalars(select(YoungPerson).where(YoungPerson.case_ref == "DEMO-005")).one()
        robin.reviews.append(Review(review_ref="T-TODAY", kind="second", booked_date=TODAY))
    reply = review(store, "DEMO-005")
    assert reply.outcome == "booked"
    assert "today, Monday 23 November" in reply.text


def test_past_booking_never_held_falls_back_to_estimate(store: sessionmaker[Session]) -> None:
    with store() as s, s.begin():
        robin = s.scalars(select(YoungPerson).where(YoungPerson.case_ref == "DEMO-005")).one()
        robin.reviews.append(Review(review_ref="T-PAST", kind="second", booked_date=TODAY - timedelta(days=1)))
    assert review(store, "DEMO-005").outcome == "estimated"


def test_demo_does_not_go_stale(tmp_path: Path) -> None:
    later = date(2029, 7, 2)
    url = f"sqlite:///{tmp_path / 'later.sqlite'}"
    upgrade_to_head(url)
    factory = session_factory(url)
    load_demo(factory, later)
    outcomes = {p["case_ref"]: review(factory, p["case_ref"], today=later).outcome for p in DEMO_PEOPLE}
    assert outcomes == {"DEMO-001": "booked", "DEMO-002": "estimated", "DEMO-003": "estimated",
                        "DEMO-004": "care_leaver", "DEMO-005": "estimated", "DEMO-006": "incomplete",
                        "DEMO-007": "estimated"}


# ---- advocate -------------------------------------------------------------------------

def test_assigned_advocate_has_full_contact(store: sessionmaker[Session]) -> None:
    reply = advocate_reply(store, "DEMO-001", NO_DETAILS, TODAY)
    assert reply.outcome == "assigned"
    for part in ("Demo Ash", "Demo Advocacy Service (fictional)", "01632 960401", "demo.ash@example.org",
                 "Monday to Friday, 10am to 4pm", "on your side"):
        assert part in reply.text


def test_no_advocate_and_no_council_details(store: sessionmaker[Session]) -> None:
    reply = advocate_reply(store, "DEMO-005", NO_DETAILS, TODAY)
    assert reply.outcome == "none_assigned"
    assert "North Yorkshire's documents don't say" in reply.text
    assert "social worker" in reply.text and "Independent Reviewing Officer" in reply.text
    assert "0808 800 5792" in reply.text and "Coram Voice" in reply.text
    assert "Saturday 10am to 4pm" in reply.text
    assert "on your side" in reply.text


def test_no_advocate_with_council_route(store: sessionmaker[Session]) -> None:
    info = AdvocacyInfo(council_name="Testshire", how_to_ask="Ask the Testshire advocacy line.", source="Test doc, s.7")
    reply = advocate_reply(store, "DEMO-005", info, TODAY)
    assert "In Testshire: Ask the Testshire advocacy line." in reply.text
    assert "Test doc, s.7" in reply.text
    assert "documents don't say" not in reply.text


def test_no_advocate_and_no_council_profile(store: sessionmaker[Session]) -> None:
    reply = advocate_reply(store, "DEMO-005", None, TODAY)
    assert reply.outcome == "none_assigned"
    assert "0808 800 5792" in reply.text


def test_care_leaver_without_advocate_is_pointed_to_personal_adviser(store: sessionmaker[Session]) -> None:
    reply = advocate_reply(store, "DEMO-004", NO_DETAILS, TODAY)
    assert reply.outcome == "none_assigned"
    assert "personal adviser, Demo Pat," in reply.text
    assert "IRO" not in reply.text


def test_advocate_not_found(store: sessionmaker[Session]) -> None:
    reply = advocate_reply(store, "NOBODY-42", NO_DETAILS, TODAY)
    assert reply.outcome == "not_found" and "NOBODY-42" not in reply.text


# ---- store unavailable ----------------------------------------------------------------

def _assert_kind_and_quiet(factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot"):
        replies = [review(factory, "DEMO-001"), advocate_reply(factory, "DEMO-001", NO_DETAILS, TODAY)]
    for reply in replies:
        assert reply.outcome == "store_unavailable"
        assert "try again" in reply.text
        assert "Error" not in reply.text and "sqlite" not in reply.text.lower()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "OperationalError" in logged
    assert "DEMO-001" not in logged
    assert not any(r.exc_info for r in caplog.records)


def test_sqlite_file_in_missing_folder(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    factory = session_factory(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.sqlite'}", create_parent=False)
    _assert_kind_and_quiet(factory, caplog)


def test_store_never_migrated(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _assert_kind_and_quiet(session_factory(f"sqlite:///{tmp_path / 'empty.sqlite'}"), caplog)


def test_unreachable_postgres(caplog: pytest.LogCaptureFixture) -> None:
    factory = session_factory("postgresql+psycopg://carechat:secret@127.0.0.1:1/carechat")
    started = time.monotonic()
    _assert_kind_and_quiet(factory, caplog)
    assert time.monotonic() - started < 15


def test_normal_lookups_log_no_personal_data(store: sessionmaker[Session], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        for person in DEMO_PEOPLE:
            review(store, person["case_ref"])
            advocate_reply(store, person["case_ref"], NO_DETAILS, TODAY)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "DEMO-" not in logged and "Demo " not in logged


def test_sql_logging_never_shows_case_refs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sql_logger = logging.getLogger("sqlalchemy.engine")
    old = sql_logger.level
    sql_logger.setLevel(logging.INFO)
    try:
        url = f"sqlite:///{tmp_path / 'logged.sqlite'}"
        upgrade_to_head(url)
        factory = session_factory(url)
        load_demo(factory, TODAY)
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
            review(factory, "DEMO-003")
    finally:
        sql_logger.setLevel(old)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "SELECT" in logged  # the logging really was on
    assert "DEMO-003" not in logged
