"""``rasa`` with CareChat's speed fix applied: now simply :mod:`bot.engine.rasa_server`, which the
stack itself runs. Kept so ``make bench --variant-validator`` still has a name to call."""
from __future__ import annotations

from bot.engine.rasa_server import main

if __name__ == "__main__":
    main()
