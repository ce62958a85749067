"""The one name the gateway and Rasa share for a turn's id in a message's metadata.

Why its own module: the gateway (app environment) writes it and Rasa (engine environment)
reads it, and neither may import the other's code.
"""
from __future__ import annotations

#: Metadata key of the id the page gives one message, kept the same on every resend of it.
TURN_ID_KEY = "turn_id"
