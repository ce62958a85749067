"""What must be true before CareChat serves real young people (``python -m bot serve``).

Each check returns one kind sentence saying what to set, or nothing. :func:`production_problems`
runs them all and returns every problem at once, so an operator fixes everything in one go
instead of restarting once per mistake. Nothing here starts a server or writes anything.
"""
from __future__ import annotations

from typing import Callable

from bot.settings import PROJECT_ROOT, Settings, secret_problem

ContentCheck = Callable[[], list[str]]


def known_councils() -> list[str]:
    """The council ids CareChat has a profile for (``content/councils/<id>.yml``)."""
    from bot.knowledge.councils import load_councils

    return sorted(load_councils(PROJECT_ROOT / "content"))


def council_problem(settings: Settings) -> str | None:
    """An unknown council would make every action fail and the safety reply use another council's numbers."""
    councils = known_councils()
    if settings.council in councils:
        return None
    return (f"CARECHAT_COUNCIL is '{settings.council}', which is not a council CareChat has a profile for: "
            f"set it to one of {', '.join(councils)}.")


def demo_mode_problem(settings: Settings) -> str | None:
    """Demo mode lets anyone sign in as a listed person and accepts the published secret."""
    if not settings.demo_mode:
        return None
    return ("CARECHAT_DEMO_MODE is on, which lets anyone sign in as a fictional person: "
            "set CARECHAT_DEMO_MODE=false (or leave it unset) for production; `make run` is the demo.")


def _demo_rows(url: str) -> int:
    """How many case-store rows are demo people, workers or advocates (read only)."""
    from sqlalchemy import func, or_, select

    from bot.personal.casestore.db import make_engine
    from bot.personal.casestore.demo import DEMO_PREFIX, list_demo_people
    from bot.personal.casestore.models import Advocate, Worker, YoungPerson

    people = list_demo_people()
    refs = [p["case_ref"] for p in people]
    names = [p["display_name"] for p in people]
    engine = make_engine(url, create_parent=False)
    try:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(YoungPerson).where(or_(
                YoungPerson.case_ref.startswith(DEMO_PREFIX), YoungPerson.case_ref.in_(refs),
                YoungPerson.first_name.in_(names)))) or 0
            count += conn.scalar(select(func.count()).select_from(Worker)
                                 .where(Worker.worker_ref.startswith(DEMO_PREFIX))) or 0
            count += conn.scalar(select(func.count()).select_from(Advocate)
                                 .where(Advocate.advocate_ref.startswith(DEMO_PREFIX))) or 0
            return count
    finally:
        engine.dispose()


def _sqlite_file_missing(url: str) -> bool:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database or ""
    return (parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
            and not database.startswith("file:") and not Path(database).expanduser().exists())


def case_store_problem(settings: Settings) -> str | None:
    """Demo people in the real case store would be shown and signed in as if they were real."""
    from sqlalchemy.exc import SQLAlchemyError

    if _sqlite_file_missing(settings.case_store_url):
        return ("The case store named by CASE_STORE_URL does not exist yet: create it with "
                "`python -m bot db upgrade`, then import the council's records with `python -m bot import FOLDER`.")
    try:
        found = _demo_rows(settings.case_store_url)
    except SQLAlchemyError as error:
        return (f"Could not check the case store for demo people ({type(error).__name__}): check CASE_STORE_URL "
                "and run `python -m bot db upgrade` so the case store is reachable and up to date.")
    if not found:
        return None
    return (f"The case store holds {found} demo record(s) (fictional people, refs starting DEMO-): point CASE_STORE_URL at "
            "the council's own case store, not the demo one (a real store never gets demo people).")


def content_problems() -> list[str]:
    """Every problem ``python -m bot content check`` reports (cards, sources, councils, order facts)."""
    from bot.knowledge.card_checks import check_library
    from bot.knowledge.card_loader import load_library
    from bot.knowledge.comparisons import check_order_facts, load_order_facts

    library = load_library()
    return check_library(library) + check_order_facts(load_order_facts(), library)


def content_problem(check: ContentCheck = content_problems) -> str | None:
    """Content that fails its checks may give a wrong phone number or an unsourced answer."""
    problems = check()
    if not problems:
        return None
    return (f"The content check found {len(problems)} problem(s) (the first: {problems[0]}): "
            "run `python -m bot content check` to see them all, and fix them.")


def gateway_problem(settings: Settings) -> str | None:
    """Settings the gateway would refuse at start (session store URL, tracker store URL, trusted
    proxies, embed origins, retention and purge interval), found now rather than after the model has loaded."""
    from bot.gateway.app import create_app
    from bot.gateway.retention_schedule import add_retention_schedule
    from bot.settings import ConfigurationError, session_store_problem

    # First, and whatever the secret: a gateway that cannot keep sessions serves nobody.
    store_problem = session_store_problem(settings)
    if store_problem is not None:
        return store_problem
    if secret_problem(settings, production=True) is not None:
        return None  # already reported; create_app would only repeat it
    try:
        add_retention_schedule(create_app(settings), settings)
    except ConfigurationError as exc:
        return str(exc)
    return None


def scale_settings_problem(settings: Settings, replicas: int = 1) -> str | None:
    """A lock store URL Rasa could not use, or replicas without the stores they must share."""
    from bot.ops.lock_store_config import lock_store_url_problem
    from bot.ops.stack import scale_problem

    return lock_store_url_problem(settings.lock_store_url) or scale_problem(settings, replicas)


def production_problems(settings: Settings, content_check: ContentCheck = content_problems,
                        replicas: int = 1) -> list[str]:
    """Every reason these settings are unsafe for production, each one kind line; [] means start."""
    found = [
        scale_settings_problem(settings, replicas),
        demo_mode_problem(settings),
        secret_problem(settings, production=True),
        council_problem(settings),
        case_store_problem(settings),
        content_problem(content_check),
        gateway_problem(settings),
    ]
    return [problem for problem in found if problem is not None]
