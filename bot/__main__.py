"""``python -m bot``: CareChat's command line (see ``bot.ops.cli``)."""
import sys

from bot.ops.cli import main

sys.exit(main())
