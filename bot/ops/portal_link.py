"""Print a one-time portal sign-in link, for testing a council portal's integration.

    python -m bot.ops.portal_link CASE_REF [--name NAME] [--base-url URL] [--ttl SECONDS]

It does what the council's portal does (``bot.personal.portal_signin.mint_signin_token``), so a
developer can see the whole journey work before writing their side. Outside demo mode it
refuses to run unless the token secret is safe: with the published development secret anyone
could make such a link, and a link for a real case reference must not be made with it.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence
from urllib.parse import urlsplit, urlunsplit

from bot.personal.portal_signin import DEFAULT_TTL_SECONDS, mint_signin_token
from bot.settings import Settings, connect_host, load_settings, secret_problem

FRAGMENT_PREFIX = "signin="


def default_base_url(settings: Settings) -> str:
    """The gateway this machine would run, as a browser on it would reach it."""
    return f"http://{connect_host(settings.gateway_host)}:{settings.gateway_port}/"


def signin_link(base_url: str, token: str) -> str:
    """``base_url`` with the token as its fragment: ``https://chat.example/#signin=<token>``.

    The fragment is never sent to a server, so the token stays out of server logs and Referer headers.
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("the base URL must start with http:// or https:// and name a host")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, FRAGMENT_PREFIX + token))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.ops.portal_link",
        description="Print a one-time CareChat sign-in link, as a council portal would make it.",
    )
    parser.add_argument("case_ref", help="the young person's case reference")
    parser.add_argument("--name", help="first name to greet them with (optional)")
    parser.add_argument("--base-url", help="where CareChat's page is (default: this machine's gateway)")
    parser.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS,
                        help=f"seconds the link can be used for (default {DEFAULT_TTL_SECONDS})")
    return parser


def main(argv: Sequence[str] | None = None, env: dict[str, str] | None = None) -> int:
    """Print the link and return 0; one clear line on stderr and 2 when it cannot be made safely."""
    args = _parser().parse_args(argv)
    settings = load_settings(env)
    problem = secret_problem(settings)
    if problem is not None:
        print(f"portal_link: {problem}", file=sys.stderr)
        return 2
    if not args.case_ref.strip():
        print("portal_link: give the case reference to sign in as.", file=sys.stderr)
        return 2
    if not 1 <= args.ttl <= settings.portal_max_ttl_seconds:
        print(f"portal_link: --ttl must be between 1 and {settings.portal_max_ttl_seconds} seconds "
              "(CARECHAT_PORTAL_MAX_TTL_SECONDS); CareChat refuses longer-lived links.", file=sys.stderr)
        return 2
    token = mint_signin_token(args.case_ref.strip(), settings, name=args.name, ttl_seconds=args.ttl)
    try:
        link = signin_link(args.base_url or default_base_url(settings), token)
    except ValueError as exc:
        print(f"portal_link: {exc}.", file=sys.stderr)
        return 2
    print(link)
    print(f"(works once, within {args.ttl} seconds; open it in a private window to try it as someone new)",
          file=sys.stderr)
    if settings.uses_development_secret:
        print("(made with the development secret: it only works on a gateway in demo mode)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
