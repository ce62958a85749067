"""CareChat's command line: run the stack (``run``, the demo; ``serve``, the checked production start),
manage the case store, mint test tokens, check content.

Every command prints a short, plain result; errors are one clear line and a non-zero exit,
never a stack trace.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from bot.settings import PROJECT_ROOT, ConfigurationError, Settings, load_settings, require_safe_secret


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.ops.production_checks import council_problem

    settings = load_settings()
    require_safe_secret(settings)
    problem = council_problem(settings)
    if problem is not None:
        raise ConfigurationError(problem)
    return start_stack(settings, getattr(args, "replicas", 1))


def _cmd_serve(args: argparse.Namespace) -> int:
    """The production start: refuse, listing every unsafe setting at once, or start the stack."""
    from bot.ops.production_checks import production_problems

    settings = load_settings()
    problems = production_problems(settings, replicas=getattr(args, "replicas", 1))
    if problems:
        print("CareChat will not start for real young people until these are fixed:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    if args.check:
        print("  production checks passed")
        return 0
    return start_stack(settings, getattr(args, "replicas", 1))


def start_stack(settings: Settings, replicas: int = 1) -> int:
    """Start the three services (``replicas`` of each behind HAProxy) and keep them up until Ctrl-C."""
    from bot.ops.stack import Stack, StackError, run_forever, scale_problem
    from bot.ops.training import model_path

    model = model_path()
    if not model.exists():
        print("No trained model for the current inputs: run `make model` (`make run` and `make serve` train first).",
              file=sys.stderr)
        return 1
    problem = scale_problem(settings, replicas)
    if problem is not None:
        raise ConfigurationError(problem)
    _purge_at_start(settings)
    try:
        return run_forever(Stack(settings, model, replicas=replicas))
    except StackError as error:
        print(f"CareChat could not start: {error}", file=sys.stderr)
        return 1


def _purge_at_start(settings: Settings) -> None:
    """The start-up purge: the same code as ``conversations purge`` and the gateway's schedule.

    A tracker store that cannot be reached now does not stop the start: the running gateway
    tries again every ``CARECHAT_PURGE_INTERVAL_SECONDS``. An unsupported one does (ConfigurationError).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from bot.ops.retention import purge_configured

    try:
        purged = purge_configured(settings)
    except SQLAlchemyError as error:
        print(f"  could not remove old conversations now ({type(error).__name__}); "
              f"the gateway tries again every {settings.purge_interval_seconds:g} s", file=sys.stderr)
        return
    print(f"  conversations older than {settings.retention_days:g} days removed: {purged.conversations}")


def _tracker_unreachable(error: Exception) -> int:
    """One plain line when the tracker store cannot be used (the driver's text may name the server: not shown)."""
    print(f"CareChat: could not use the conversation store ({type(error).__name__}); "
          "check TRACKER_STORE_URL and that the database is running.", file=sys.stderr)
    return 1


def _cmd_conversations_purge(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.ops.retention import purge_configured

    settings = load_settings()
    days = settings.retention_days if args.days is None else args.days
    try:
        result = purge_configured(settings, days=days)
    except SQLAlchemyError as error:
        return _tracker_unreachable(error)
    print(f"  removed {result.conversations} conversation(s) older than {days:g} days ({result.events} events)")
    return 0


def _cmd_conversations_erase(args: argparse.Namespace) -> int:
    """Erase one conversation (its sender id) or every conversation a young person was signed in to."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.ops.retention import erase, erase_person, open_tracker_store

    settings = load_settings()
    engine = open_tracker_store(settings)
    try:
        if args.case_ref is None:
            deleted = erase(engine, args.sender_id)
            print(f"  erased {deleted} event(s)" if deleted else "  no conversation with that id")
            return 0
        if settings.uses_development_secret:
            print("(using the development secret: only demo-mode conversations can be matched; set "
                  "CARECHAT_TOKEN_SECRET to the gateway's)", file=sys.stderr)
        result = erase_person(engine, args.case_ref.strip(), settings)
    except SQLAlchemyError as error:
        return _tracker_unreachable(error)
    finally:
        engine.dispose()
    if result.conversations:
        print(f"  erased {result.conversations} conversation(s) ({result.events} events) for that case reference")
    else:
        print("  no conversations found for that case reference (only conversations where they were signed in "
              "can be linked to them; anonymous ones go at the retention limit)")
    return 0


def _positive_days(value: str) -> float:
    """``conversations purge --days``: a number of days above zero, with a kind message otherwise."""
    try:
        days = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"please give a number of days, like 30 (not {value!r})") from None
    if not days > 0 or days == float("inf"):
        raise argparse.ArgumentTypeError(f"please give a number of days above 0 (not {value})")
    return days


def _case_ref(value: str) -> str:
    """``--case-ref``: not blank."""
    if not value.strip():
        raise argparse.ArgumentTypeError("please give the young person's case reference, e.g. DEMO-001")
    return value


def _days(value: str) -> int:
    """``--days``: a whole number of days, 1 or more, with a kind message otherwise."""
    from bot.ops.safety_report import MAX_DAYS

    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"please give a whole number of days, like 30 (not {value!r})") from None
    if not 1 <= days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"please give a number of days from 1 to {MAX_DAYS} (not {days})")
    return days


def _cmd_safety_report(args: argparse.Namespace) -> int:
    from bot.ops.safety_report import SafetyReportError, count_outcomes, date_range, render_csv, render_text

    settings = load_settings()
    start, end = date_range(args.days)
    try:
        report = count_outcomes(args.url or settings.tracker_url, start, end)
    except SafetyReportError as error:
        print(f"CareChat: {error}", file=sys.stderr)
        return 1
    if args.csv:
        if report.note:
            print(report.note, file=sys.stderr)
        print(render_csv(report), end="")
        return 0
    print(render_text(report), end="")
    if args.days > settings.retention_days:
        print(f"(Conversations are deleted after {settings.retention_days:g} days, so older dates only count "
              "what is left: run this report at least that often to keep a full record.)")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from bot.ops.training import ensure_model

    ensure_model()
    return 0


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.personal.casestore.migrate import upgrade_to_head

    upgrade_to_head(load_settings().case_store_url)
    print("  case store migrated to the latest schema")
    return 0


def _cmd_demo_load(args: argparse.Namespace) -> int:
    from bot.personal.casestore.db import session_factory
    from bot.personal.casestore.demo import load_demo, require_local_demo_store
    from bot.personal.casestore.migrate import upgrade_to_head

    url = load_settings().case_store_url
    require_local_demo_store(url)  # before migrating: a real store is not touched at all
    upgrade_to_head(url)
    count = load_demo(session_factory(url), date.today())
    print(f"  demo case store loaded: {count} fictional young people")
    return 0


def _cmd_demo_list(args: argparse.Namespace) -> int:
    from bot.personal.casestore.demo import list_demo_people

    for person in list_demo_people():
        print(f"{person['case_ref']:<10} {person['display_name']:<16} {person['situation']}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from bot.personal.casestore.db import session_factory
    from bot.personal.casestore.importer import import_folder
    from bot.personal.casestore.migrate import upgrade_to_head

    url = load_settings().case_store_url
    upgrade_to_head(url)
    report = import_folder(session_factory(url), Path(args.folder))
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_token(args: argparse.Namespace) -> int:
    from bot.personal.identity import mint_token

    settings = load_settings()
    if settings.uses_development_secret:
        print("(using the development secret: this token only works in demo mode)", file=sys.stderr)
    print(mint_token(args.case_ref, settings, ttl_seconds=args.ttl))
    return 0


def _cmd_content_check(args: argparse.Namespace) -> int:
    from bot.knowledge.comparisons import check_order_facts, load_order_facts
    from bot.knowledge.card_checks import check_library
    from bot.knowledge.card_loader import load_library

    library = load_library()
    problems = check_library(library) + check_order_facts(load_order_facts(), library)
    for problem in problems:
        print(f"  - {problem}")
    print(f"  content check: {len(problems)} problem(s)")
    return 1 if problems else 0


def _cmd_content_patterns(args: argparse.Namespace) -> int:
    from bot.knowledge.card_loader import load_library

    patterns = load_library().term_patterns()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(p, sort_keys=True) + "\n" for p in patterns), encoding="utf-8")
    if not out.exists() or out.read_bytes() != tmp.read_bytes():
        tmp.replace(out)  # only touch the file when it changed, so make does not rebuild needlessly
    else:
        tmp.unlink()
    print(f"  {len(patterns)} term patterns -> {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="CareChat's command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the action server, Rasa server and gateway")
    run.set_defaults(func=_cmd_run)
    serve = sub.add_parser("serve", help="production start: refuse unsafe settings, then start all three services")
    serve.add_argument("--check", action="store_true", help="only run the production checks, start nothing")
    for command in (run, serve):
        command.add_argument("--replicas", type=int, default=1, metavar="N",
                             help="N of each service behind HAProxy (needs PostgreSQL and Redis; docs/scaling.md)")
    serve.set_defaults(func=_cmd_serve)
    sub.add_parser("train", help="train the Rasa model if its inputs changed").set_defaults(func=_cmd_train)
    db = sub.add_parser("db", help="case store schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="create or migrate the case store").set_defaults(func=_cmd_db_upgrade)
    demo = sub.add_parser("demo", help="the fictional demo people").add_subparsers(dest="demo_command", required=True)
    demo.add_parser("load", help="(re)load the demo people into the case store").set_defaults(func=_cmd_demo_load)
    demo.add_parser("list", help="list the demo people").set_defaults(func=_cmd_demo_list)
    imp = sub.add_parser("import", help="import a council's CSV export (all or nothing)")
    imp.add_argument("folder", help="folder with young_people.csv, workers.csv, advocates.csv, reviews.csv")
    imp.set_defaults(func=_cmd_import)
    token = sub.add_parser("token", help="mint an encrypted identity token for local testing")
    token.add_argument("case_ref", help="the young person's case reference, e.g. DEMO-001")
    token.add_argument("--ttl", type=int, default=None, help="seconds until it expires (default from settings)")
    token.set_defaults(func=_cmd_token)
    convo = sub.add_parser("conversations", help="retention and erasure of stored conversations")
    convo_sub = convo.add_subparsers(dest="conversations_command", required=True)
    purge = convo_sub.add_parser("purge", help="delete conversations older than the retention period")
    purge.add_argument("--days", type=_positive_days, default=None, help="default: CARECHAT_RETENTION_DAYS (30)")
    purge.set_defaults(func=_cmd_conversations_purge)
    erase_cmd = convo_sub.add_parser("erase", help="delete one conversation, or all of one young person's, now")
    which = erase_cmd.add_mutually_exclusive_group(required=True)
    which.add_argument("sender_id", nargs="?", default=None, help="one conversation's sender id")
    which.add_argument("--case-ref", type=_case_ref, default=None,
                       help="every conversation in which this young person was signed in")
    erase_cmd.set_defaults(func=_cmd_conversations_erase)
    safety = sub.add_parser("safety", help="safeguarding figures for the council (counts only, no text)")
    safety_sub = safety.add_subparsers(dest="safety_command", required=True)
    report = safety_sub.add_parser("report", help="safety replies and check-ins per day and category (no text)")
    report.add_argument("--days", type=_days, default=30, help="the last N days by UTC date, today included (default 30)")
    report.add_argument("--csv", action="store_true", help="print CSV (date,tier,category,count) instead of a table")
    report.add_argument("--url", default=None,
                        help="tracker store SQLAlchemy URL (default: the SQLite tracker store in CARECHAT_VAR_DIR)")
    report.set_defaults(func=_cmd_safety_report)
    content = sub.add_parser("content", help="the knowledge cards").add_subparsers(dest="content_command", required=True)
    content.add_parser("check", help="check every card and council profile").set_defaults(func=_cmd_content_check)
    patterns = content.add_parser("patterns", help="write the spaCy term patterns")
    patterns.add_argument("--out", default=str(PROJECT_ROOT / "build" / "term_patterns.jsonl"))
    patterns.set_defaults(func=_cmd_content_patterns)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigurationError as error:
        print(f"CareChat: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
