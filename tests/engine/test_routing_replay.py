"""The routing replay: stored parses scored again with other routing constants, then restored."""
import pytest

import bot.knowledge.choose_card as choose_card
from bot.engine.evaluation import nlu
from bot.engine.evaluation.routing_replay import load_set, parse_overrides, replay, set_names

ITEMS = [nlu.HoldoutItem("what does an adoption order do", "named", card="adoption_order"),
         nlu.HoldoutItem("best pizza near me", "out_of_scope", intent="out_of_scope")]
PARSES = [nlu.Parsed("ask_adoption_order", 0.97), nlu.Parsed("out_of_scope", 0.93)]


def test_base_replay_scores_as_the_evaluation_does():
    [counts] = list(replay({"tiny": (ITEMS, PARSES)}, {}))
    assert (counts.cards_right, counts.cards, counts.off_topic_kept_out, counts.off_topic) == (1, 1, 1, 1)


def test_a_constant_is_overridden_during_the_replay_and_restored_after():
    before = choose_card.WEAK_SEARCH
    seen = [choose_card.WEAK_SEARCH for _ in replay({"tiny": (ITEMS, PARSES)}, {"WEAK_SEARCH": 0.77})]
    assert seen == [0.77]
    assert choose_card.WEAK_SEARCH == before


def test_settings_are_read_and_bad_ones_refused_with_a_reason():
    assert parse_overrides("base") == {}
    assert parse_overrides("WEAK_SEARCH=0.2,OFF_TOPIC_PLAUSIBLE=0.05") == {"WEAK_SEARCH": 0.2, "OFF_TOPIC_PLAUSIBLE": 0.05}
    with pytest.raises(SystemExit, match="not a constant"):
        parse_overrides("NO_SUCH_THING=1")
    with pytest.raises(SystemExit, match="must be a number"):
        parse_overrides("WEAK_SEARCH=high")


def test_every_blind_set_is_known_and_an_unknown_one_is_refused():
    names = set_names()
    assert names[0] == "holdout" and "final_8" in names
    assert load_set("final_8")
    with pytest.raises(SystemExit, match="no set called"):
        load_set("final_99")
