"""``python -m bot.ops.action_server``: rasa-sdk's action server, behind CareChat's start-up checks.

rasa-sdk would happily serve personal lookups with the published development secret;
we refuse to start outside demo mode unless a real token secret is configured.
"""
from __future__ import annotations

import sys

from bot.settings import ConfigurationError, load_settings, require_safe_secret


def main(argv: list[str] | None = None) -> int:
    try:
        require_safe_secret(load_settings())
    except ConfigurationError as error:
        print(f"carechat action server: {error}", file=sys.stderr)
        return 2
    from bot.assistant import default_carechat
    from rasa_sdk.__main__ import main as rasa_sdk_main

    # Load the cards and build the scope check now, so the first question doesn't wait ~0.5 s.
    _ = default_carechat().scope

    sys.argv = ["rasa_sdk", *(sys.argv[1:] if argv is None else argv)]
    rasa_sdk_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
