"""A fictional demo case store, so anyone can try the personal lookups safely.

Everyone here is made up and obviously so: names start with "Demo", case refs with
"DEMO-", emails use example.org and phone numbers sit in Ofcom's drama ranges
(07700 900000-900999, 01632 960000-960999). Dates are built from ``today`` so the
demo never goes stale: a "booked" review is always in the future, and the care episodes
keep Demo Jo an eligible child (16, in care since 13) and Demo Kai a former relevant child
(19, in care from 13 until 18) whatever the date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.personal.casestore.models import Advocate, CareEpisode, Review, Worker, YoungPerson
from bot.personal.review_dates import add_months, add_working_days

DEMO_PREFIX = "DEMO-"
DEMO_COUNCIL = "north_yorkshire"

#: What the demo sign-in menu shows: one line per person saying which situation they show.
DEMO_PEOPLE: list[dict[str, str]] = [
    {"case_ref": "DEMO-001", "display_name": "Demo Dara", "situation": "In care, next review already booked"},
    {"case_ref": "DEMO-002", "display_name": "Demo Eli", "situation": "Came into care last week, no review booked yet"},
    {"case_ref": "DEMO-003", "display_name": "Demo Frankie", "situation": "In care, last review was held late"},
    {"case_ref": "DEMO-004", "display_name": "Demo Kai", "situation": "Care leaver with a pathway plan review booked"},
    {"case_ref": "DEMO-005", "display_name": "Demo Robin", "situation": "In care, no advocate assigned"},
    {"case_ref": "DEMO-006", "display_name": "Demo Sky", "situation": "Record incomplete (date came into care missing)"},
    {"case_ref": "DEMO-007", "display_name": "Demo Jo", "situation": "In care, next review looks overdue"},
]


def list_demo_people() -> list[dict[str, str]]:
    """Copies of :data:`DEMO_PEOPLE` for a sign-in menu (callers may not change the original)."""
    return [dict(person) for person in DEMO_PEOPLE]


@dataclass(frozen=True)
class _WorkerSpec:
    ref: str
    kind: str
    name: str
    phone: str
    email: str
    availability: str


_WORKERS = (
    _WorkerSpec("DEMO-W-SW1", "social_worker", "Demo Sam", "07700 900101", "demo.sam@example.org",
                "Monday to Friday, 9am to 5pm"),
    _WorkerSpec("DEMO-W-SW2", "social_worker", "Demo Morgan", "07700 900102", "demo.morgan@example.org",
                "Monday to Thursday, 9am to 5pm"),
    _WorkerSpec("DEMO-W-IRO1", "iro", "Demo Iris", "01632 960201", "demo.iris@example.org",
                "Monday to Friday, 9am to 4pm"),
    _WorkerSpec("DEMO-W-IRO2", "iro", "Demo Quinn", "01632 960202", "demo.quinn@example.org",
                "Tuesday to Friday, 10am to 4pm"),
    _WorkerSpec("DEMO-W-PA1", "personal_adviser", "Demo Pat", "07700 900301", "demo.pat@example.org",
                "Monday to Friday, 9am to 5pm, and a late evening on Wednesdays"),
)


def _years_before(today: date, years: int) -> date:
    return add_months(today, -12 * years)


def _build(session: Session, today: date) -> int:
    """Add the demo rows to ``session`` and return how many young people were added."""
    workers = {
        spec.ref: Worker(worker_ref=spec.ref, kind=spec.kind, name=spec.name, phone=spec.phone,
                         email=spec.email, availability=spec.availability)
        for spec in _WORKERS
    }
    advocate = Advocate(advocate_ref="DEMO-A-1", name="Demo Ash", organisation="Demo Advocacy Service (fictional)",
                        phone="01632 960401", email="demo.ash@example.org",
                        availability="Monday to Friday, 10am to 4pm")
    session.add_all([*workers.values(), advocate])
    sw1, sw2 = workers["DEMO-W-SW1"], workers["DEMO-W-SW2"]
    iro1, iro2 = workers["DEMO-W-IRO1"], workers["DEMO-W-IRO2"]
    names = {p["case_ref"]: p["display_name"] for p in DEMO_PEOPLE}

    def person(ref: str, age: int, **fields: object) -> YoungPerson:
        yp = YoungPerson(case_ref=ref, first_name=names[ref], date_of_birth=_years_before(today, age) - timedelta(days=40),
                         council=DEMO_COUNCIL, **fields)
        session.add(yp)
        return yp

    def episodes(yp: YoungPerson, *spans: tuple[date, date | None, str]) -> None:
        for n, (start, end, status) in enumerate(spans, start=1):
            yp.care_episodes.append(CareEpisode(episode_ref=f"{yp.case_ref}-E{n}", start_date=start, end_date=end,
                                                legal_status=status))

    def review(yp: YoungPerson, n: int, kind: str, booked: date | None, held: date | None,
               chair: Worker | None) -> None:
        yp.reviews.append(Review(review_ref=f"{yp.case_ref}-R{n}", kind=kind, booked_date=booked,
                                 held_date=held, chair=chair))

    # 1. Booked future review, reviews held on time before it.
    dara_since = _years_before(today, 2)
    dara = person("DEMO-001", 13, legal_status="Care Order", looked_after_since=dara_since, care_leaver=False,
                  social_worker=sw1, iro=iro1, advocate=advocate)
    first = add_working_days(dara_since, 18)
    review(dara, 1, "initial", first, first, iro1)
    second = add_months(first, 3) - timedelta(days=7)
    review(dara, 2, "second", second, second, iro1)
    review(dara, 3, "subsequent", today - timedelta(days=160), today - timedelta(days=160), iro1)
    review(dara, 4, "subsequent", today + timedelta(days=17), None, iro1)
    episodes(dara, (dara_since, add_months(dara_since, 5), "s38"), (add_months(dara_since, 5), None, "s31"))

    # 2. Came into care 6 days ago: nothing booked, the first-review deadline is the estimate.
    eli = person("DEMO-002", 9, legal_status="Interim Care Order", looked_after_since=today - timedelta(days=6),
                 care_leaver=False, social_worker=sw2, iro=iro2)
    episodes(eli, (today - timedelta(days=6), None, "s38"))

    # 3. Both reviews held late; the next estimate counts from the late second review.
    frankie = person("DEMO-003", 15, legal_status="Section 20 (voluntary accommodation)",
                     looked_after_since=today - timedelta(days=250), care_leaver=False,
                     social_worker=sw1, iro=iro2, advocate=advocate)
    review(frankie, 1, "initial", today - timedelta(days=222), today - timedelta(days=200), iro2)
    review(frankie, 2, "second", today - timedelta(days=110), today - timedelta(days=60), iro2)
    episodes(frankie, (today - timedelta(days=250), None, "s20"))

    # 4. Care leaver: pathway plan review booked, personal adviser named.
    kai = person("DEMO-004", 19, legal_status="Care leaver", looked_after_since=None, care_leaver=True,
                 personal_adviser=workers["DEMO-W-PA1"])
    review(kai, 1, "pathway_plan", today - timedelta(days=150), today - timedelta(days=150), None)
    review(kai, 2, "pathway_plan", today + timedelta(days=30), None, None)
    # Former relevant child: in care from 13 until the care order ended at 18.
    kai_care_order = add_months(kai.date_of_birth, 14 * 12 + 1)
    episodes(kai, (add_months(kai.date_of_birth, 13 * 12 + 2), kai_care_order, "s20"),
             (kai_care_order, add_months(kai.date_of_birth, 18 * 12), "s31"))

    # 5. In care, first review held on time, no advocate.
    robin_since = today - timedelta(days=40)
    robin = person("DEMO-005", 11, legal_status="Care Order", looked_after_since=robin_since, care_leaver=False,
                   social_worker=sw2, iro=iro1)
    robin_first = add_working_days(robin_since, 19)
    review(robin, 1, "initial", robin_first, robin_first, iro1)
    episodes(robin, (robin_since, None, "s31"))

    # 6. Incomplete record: no date came into care, no IRO recorded, no care episodes.
    person("DEMO-006", 14, legal_status=None, looked_after_since=None, care_leaver=False, social_worker=sw1)

    # 7. Last review over 6 months ago and nothing booked: the estimate is already past.
    # Eligible child: 16, in care since 13 and still in care, so a personal adviser is named.
    jo_since = _years_before(today, 3)
    jo = person("DEMO-007", 16, legal_status="Care Order", looked_after_since=jo_since, care_leaver=False,
                social_worker=sw2, iro=iro1, advocate=advocate, personal_adviser=workers["DEMO-W-PA1"])
    episodes(jo, (jo_since, add_months(jo_since, 4), "s20"), (add_months(jo_since, 4), None, "s31"))
    jo_first = add_working_days(jo_since, 20)
    review(jo, 1, "initial", jo_first, jo_first, iro1)
    review(jo, 2, "second", add_months(jo_first, 3), add_months(jo_first, 3), iro1)
    review(jo, 3, "subsequent", today - timedelta(days=230), today - timedelta(days=230), iro1)
    return len(DEMO_PEOPLE)


def _remove_demo_rows(session: Session) -> None:
    """Delete every demo row (only rows whose natural key starts with DEMO-)."""
    demo_people = select(YoungPerson.id).where(YoungPerson.case_ref.startswith(DEMO_PREFIX))
    session.execute(delete(Review).where(Review.young_person_id.in_(demo_people)))
    session.execute(delete(CareEpisode).where(CareEpisode.young_person_id.in_(demo_people)))
    session.execute(delete(CareEpisode).where(CareEpisode.episode_ref.startswith(DEMO_PREFIX)))
    session.execute(delete(Review).where(Review.review_ref.startswith(DEMO_PREFIX)))
    session.execute(delete(YoungPerson).where(YoungPerson.case_ref.startswith(DEMO_PREFIX)))
    session.execute(delete(Worker).where(Worker.worker_ref.startswith(DEMO_PREFIX)))
    session.execute(delete(Advocate).where(Advocate.advocate_ref.startswith(DEMO_PREFIX)))


def require_local_demo_store(url: str) -> None:
    """Refuse any case store but a local throwaway one, so demo people never mix with real records.

    Allowed: SQLite in memory or in a file under the project's ``var/`` folder or the system's
    temporary folder outside the project (where the tests and the benchmark keep theirs), and the throwaway test
    PostgreSQL named by ``CARECHAT_TEST_POSTGRES_URL`` (scripts/postgres-for-tests).
    """
    import os
    import tempfile
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from bot.settings import PROJECT_ROOT, ConfigurationError

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ":memory:"
        if database == ":memory:":
            return
        if not database.startswith("file:"):
            path = Path(database).expanduser().resolve()
            project = PROJECT_ROOT.resolve()
            in_var = path.is_relative_to((PROJECT_ROOT / "var").resolve())
            # A temporary folder of the tests, but not the project itself when it was cloned into /tmp.
            in_temp = path.is_relative_to(Path(tempfile.gettempdir()).resolve()) and not path.is_relative_to(project)
            if in_var or in_temp:
                return
    test_url = os.environ.get("CARECHAT_TEST_POSTGRES_URL", "").strip()
    if test_url and make_url(test_url).render_as_string(hide_password=False) == parsed.render_as_string(hide_password=False):
        return
    raise ConfigurationError(
        f"Demo people are only loaded into a local demo store, not into {parsed.render_as_string(hide_password=True)}: "
        "for the demo, unset CASE_STORE_URL (it defaults to var/casestore.sqlite) or point it at a SQLite file under var/."
    )


def load_demo(session_factory: sessionmaker[Session], today: date) -> int:
    """Replace all demo rows with a fresh set dated around ``today``; return the number of people.

    Safe to run again and again: old demo rows are removed in the same transaction, and
    rows that are not demo rows are never touched.
    """
    require_local_demo_store(session_factory.kw["bind"].url.render_as_string(hide_password=False))
    with session_factory() as session, session.begin():
        _remove_demo_rows(session)
        session.flush()
        return _build(session, today)
