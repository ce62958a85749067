"""Which reply a message's safeguarding signals earn: the full safety reply, a check-in, or none.

Why one function for it: the NLU component, the action server (which sees the previous turn),
the gateway (when the other services are down) and the evaluation must all decide the same
way. The asymmetry is deliberate: a false alarm costs a child one kind sentence, a miss can
cost far more, so anything that might be a risk gets at least the check-in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from bot.safeguarding.lexicon import CHECK_IN, RISK
from bot.safeguarding.matcher import Signal

UNSPECIFIED = "unspecified"

#: Classifier score at or above which the full safety reply is given without a lexicon hit.
RISK_SCORE = 0.95
#: Classifier score at or above which a message gets the check-in. 0.6 since training writers
#: 10-12 (660 more look-alikes) lowered the scores of crises as well: on the held-out sets (dev,
#: blind_final 1-5; never blind_final_6) 0.6 catches 8 more of 840 crisis messages for 4 more
#: check-ins on 560 ordinary ones (docs/safeguarding.md).
CHECK_IN_SCORE = 0.6
#: A lexicon risk rule (not a strong one) needs this much agreement from the classifier for
#: the full reply; below it the message gets the check-in ("my carer would kill me if I
#: failed maths").
CONFIRM_SCORE = 0.8
#: Below this score the classifier overrules a lexicon risk rule that is not strong: the words
#: matched, but nothing else about the message looks like harm ("a play about a child in care
#: who runs away"). Strong rules ("kill myself", "county lines") are never overruled, and neither
#: are check-in rules (since 2026-11-30): their words are already the gentle tier, and on the ten
#: held-out sets the veto silenced 8 crisis messages they caught ("the person touching u is the
#: one in charge of the house") to spare 6 check-ins on 1,037 ordinary messages.
VETO_SCORE = 0.3
#: Below this score a strong rule earns the check-in instead of the full reply: the classifier
#: is all but sure it is ordinary ("coursework about a character who self-harms"), but a
#: strong word never goes unanswered.
STRONG_DOUBT_SCORE = 0.05
#: Lower bar for a short reply straight after the bot answered: read with that turn.
CONTEXT_SCORE = 0.4
#: Bar for a message the bot was about to turn away as off-topic or unclear. Since the check-in
#: bar came down to 0.6 it is no lower than that one; lowering it to 0.5 was measured on the
#: held-out sets: 3 more catches of 930 for 11 more check-ins on 560 ordinary messages.
TURNED_AWAY_SCORE = 0.6
#: "Short": a reply of at most this many words is read with the turn before it.
SHORT_REPLY_WORDS = 12


@dataclass(frozen=True)
class Outcome:
    """The decision: tier (risk or check_in), category, and what caught it."""

    tier: str
    category: str
    source: str  # "lexicon", "classifier", "intent", "context"
    rule: str

    def as_parse_data(self) -> dict[str, str]:
        """What goes into Rasa's parse data (no message text, ever)."""
        return {"tier": self.tier, "category": self.category, "source": self.source, "rule": self.rule}


def is_short_reply(text: str) -> bool:
    """A few words (at most SHORT_REPLY_WORDS): probably an answer to the bot's last turn."""
    words = text.split()
    return 0 < len(words) <= SHORT_REPLY_WORDS


def decide(
    signal: Optional[Signal],
    score: Optional[float] = 0.0,
    score_category: str = UNSPECIFIED,
    intent_hit: bool = False,
    follows_bot_turn: bool = False,
    text: str = "",
    turned_away: bool = False,
) -> Optional[Outcome]:
    """Combine the lexicon signal, the classifier's score and the context into an outcome.

    ``score`` is the trained classifier's probability that the message signals harm (None
    where no classifier is loaded: the lexicon's own tiers then stand);
    ``intent_hit`` says DIET itself predicted the safeguarding intent confidently;
    ``follows_bot_turn`` says the message answers something the bot just said;
    ``turned_away`` says the bot was about to answer "I can't help with that" or a menu: a
    message with some sign of distress and no care words is a risk to check, not off-topic.
    """
    if score is None:
        if signal is None:
            return Outcome(RISK, score_category, "intent", "intent") if intent_hit else None
        return Outcome(signal.tier, signal.category, "lexicon", signal.rule)
    if signal is not None and signal.tier == RISK and not signal.strong and score < VETO_SCORE and not intent_hit:
        signal = None
    if signal is not None and signal.strong and not signal.certain and score < STRONG_DOUBT_SCORE and not intent_hit:
        return Outcome(CHECK_IN, signal.category, "lexicon", signal.rule)
    if signal is not None and signal.tier == RISK and (signal.strong or score >= CONFIRM_SCORE):
        return Outcome(RISK, signal.category, "lexicon", signal.rule)
    if score >= RISK_SCORE:
        return Outcome(RISK, score_category, "classifier", "classifier")
    if intent_hit and score >= CONFIRM_SCORE:
        return Outcome(RISK, score_category, "intent", "intent")
    if intent_hit:  # DIET saw 25 crisis examples: a net for the check-in, not alone for the full reply
        return Outcome(CHECK_IN, score_category, "intent", "intent")
    if signal is not None:
        return Outcome(CHECK_IN, signal.category, "lexicon", signal.rule)
    if score >= CHECK_IN_SCORE:
        return Outcome(CHECK_IN, score_category, "classifier", "classifier")
    if follows_bot_turn and is_short_reply(text) and score >= CONTEXT_SCORE:
        return Outcome(CHECK_IN, score_category, "context", "context")
    if turned_away and score >= TURNED_AWAY_SCORE:
        return Outcome(CHECK_IN, score_category, "context", "turned_away")
    return None
