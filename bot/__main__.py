"""``python -m bot``: CareChat's command line (see ``bot.cli``)."""
import sys

from bot.cli import main

sys.exit(main())
