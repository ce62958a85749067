"""``python -m bot.gateway``: run the web gateway."""
import sys

from bot.gateway.app import main

sys.exit(main())
