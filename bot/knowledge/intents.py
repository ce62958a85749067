"""The intent names the card routing reads, in one place.

Why a module of its own: the routing (choose_card), the comparison check (compare_request),
the card search (card_evidence), the scope check and the evaluation all compare against the
same names, and one spelling each keeps them from drifting apart.
"""
from __future__ import annotations

WHAT_IS = "ask_what_is"
ASK_TOPIC = "ask_topic"
FALLBACK = "nlu_fallback"
COMPARE = "compare_orders"
OUT_OF_SCOPE = "out_of_scope"
SAFEGUARDING = "safeguarding_concern"
