"""Which reply a message's signals earn: the table of bot.safeguarding.decision.decide."""
import pytest

from bot.safeguarding import decision as d
from bot.safeguarding.lexicon import CHECK_IN, RISK
from bot.safeguarding.matcher import Signal

STRONG = Signal("suicide", "suicide.kill_self", RISK, strong=True)
WEAK_RISK = Signal("physical_abuse", "physical_abuse.harm_me", RISK)
CHECK = Signal("suicide", "suicide.nobody_notice", CHECK_IN)


@pytest.mark.parametrize("signal, score, expected", [
    (STRONG, d.STRONG_DOUBT_SCORE, (RISK, "lexicon")),    # unambiguous words need nobody's agreement
    (STRONG, d.STRONG_DOUBT_SCORE - 0.01, (CHECK_IN, "lexicon")),  # "coursework about ... self-harms"
    (STRONG, 0.0, (CHECK_IN, "lexicon")),                 # ... but never silence
    (WEAK_RISK, d.CONFIRM_SCORE, (RISK, "lexicon")),      # words and classifier agree
    (WEAK_RISK, d.CONFIRM_SCORE - 0.01, (CHECK_IN, "lexicon")),  # "my carer would kill me if..."
    (CHECK, d.VETO_SCORE, (CHECK_IN, "lexicon")),
    (CHECK, d.RISK_SCORE, (RISK, "classifier")),          # classifier sure: the full reply
    (None, d.RISK_SCORE, (RISK, "classifier")),
    (None, d.CHECK_IN_SCORE, (CHECK_IN, "classifier")),
    (None, d.CHECK_IN_SCORE - 0.01, None),
    (None, 0.0, None),
    (WEAK_RISK, d.VETO_SCORE - 0.01, None),               # "a play about a child who runs away"
    (CHECK, 0.0, (CHECK_IN, "lexicon")),                  # a check-in rule is never silenced
    (STRONG, d.VETO_SCORE - 0.01, (RISK, "lexicon")),     # strong rules are never overruled
])
def test_tiers(signal, score, expected):
    outcome = d.decide(signal, score, "suicide")
    assert (outcome and (outcome.tier, outcome.source)) == expected


def test_without_a_classifier_the_lexicon_tier_stands():
    assert d.decide(WEAK_RISK, None).tier == RISK
    assert d.decide(CHECK, None).tier == CHECK_IN
    assert d.decide(None, None) is None
    assert d.decide(None, None, intent_hit=True).tier == RISK


def test_diet_intent_gives_the_check_in_and_the_full_reply_when_the_classifier_agrees():
    outcome = d.decide(None, 0.1, intent_hit=True)
    assert (outcome.tier, outcome.source) == (CHECK_IN, "intent")
    outcome = d.decide(None, d.CONFIRM_SCORE, intent_hit=True)
    assert (outcome.tier, outcome.source) == (RISK, "intent")


def test_short_reply_after_the_bot_spoke_is_read_with_that_turn():
    score = d.CONTEXT_SCORE
    assert d.decide(None, score, text="wont be around for it tbh") is None
    outcome = d.decide(None, score, follows_bot_turn=True, text="wont be around for it tbh")
    assert (outcome.tier, outcome.source) == (CHECK_IN, "context")
    long_text = " ".join(["word"] * (d.SHORT_REPLY_WORDS + 1))
    assert d.decide(None, score, follows_bot_turn=True, text=long_text) is None


def test_a_message_about_to_be_turned_away_is_checked_from_its_own_bar():
    score = d.TURNED_AWAY_SCORE
    assert d.decide(None, score, turned_away=True).tier == CHECK_IN
    assert d.decide(None, score - 0.01, turned_away=True) is None


def test_thresholds_are_ordered():
    assert d.CONTEXT_SCORE <= d.TURNED_AWAY_SCORE <= d.CHECK_IN_SCORE <= d.RISK_SCORE
    assert d.CONFIRM_SCORE <= d.RISK_SCORE


def test_parse_data_has_no_text():
    outcome = d.decide(CHECK, d.VETO_SCORE, "suicide")
    assert set(outcome.as_parse_data()) == {"tier", "category", "source", "rule"}


def test_a_certain_rule_is_never_softened_by_the_classifiers_doubt():
    certain = Signal("immediate_danger", "immediate_danger.help_now_only", RISK, strong=True, certain=True)
    assert d.decide(certain, 0.0).tier == RISK
    strong_only = Signal("self_harm", "self_harm.word", RISK, strong=True)
    assert d.decide(strong_only, 0.0).tier == CHECK_IN


def test_help_now_alone_is_certain_in_the_lexicon():
    from bot.safeguarding.matcher import default_matcher

    found = default_matcher().check("help now")
    assert found is not None and found.certain and found.tier == RISK
