"""The safeguarding check: phrase-set recall and false alarms, normalise(), the component.

The phrase sets in tests/safety/ are the contract: every crisis line (including the holdout
written before the lexicon was tuned) must fire, and under 3% of ordinary lines may.
"""
import copy
from pathlib import Path

import pytest
import spacy

from bot.engine.safeguarding import (
    CATEGORIES,
    SafeguardingHit,
    SafeguardingLexicon,
    _compile,
    evaluate,
    main,
    normalise,
    read_phrases,
    verb_forms,
)

SAFETY = Path(__file__).resolve().parents[1] / "safety"


@pytest.fixture(scope="module")
def nlp():
    pipeline = spacy.blank("en")
    pipeline.add_pipe("lemmatizer", config={"mode": "lookup"})
    pipeline.initialize()
    return pipeline


@pytest.fixture(scope="module")
def lexicon(nlp):
    return SafeguardingLexicon(nlp)


@pytest.fixture(scope="module")
def report(lexicon):
    return evaluate(lexicon, SAFETY)


# --- the phrase sets ---------------------------------------------------------------------
def test_phrase_sets_are_big_enough_and_cover_every_category():
    crisis = read_phrases(SAFETY / "crisis.txt")
    assert len(crisis) >= 180
    assert len(read_phrases(SAFETY / "ordinary.txt")) >= 120
    assert len(read_phrases(SAFETY / "crisis_holdout.txt")) == 40
    assert {section for _, _, section in crisis} >= set(CATEGORIES)


def test_phrase_sets_do_not_overlap():
    crisis = {t for _, t, _ in read_phrases(SAFETY / "crisis.txt")}
    holdout = {t for _, t, _ in read_phrases(SAFETY / "crisis_holdout.txt")}
    ordinary = {t for _, t, _ in read_phrases(SAFETY / "ordinary.txt")}
    assert not crisis & ordinary and not holdout & ordinary and not crisis & holdout


@pytest.mark.parametrize("name", ["crisis.txt", "crisis_holdout.txt"])
def test_every_crisis_message_fires(report, name):
    misses = [(line, text) for line, text, _ in report[name]["wrong"]]
    assert misses == [], f"{name}: the lexicon missed these lines"


def test_false_alarms_on_ordinary_messages_under_three_percent(report):
    r = report["ordinary.txt"]
    alarms = [(line, text, rule) for line, text, rule in r["wrong"]]
    assert len(alarms) / r["total"] < 0.03, alarms


def test_cli_reports_and_exits_zero_when_the_contract_holds(capsys):
    assert main([str(SAFETY)]) == 0
    out = capsys.readouterr().out
    assert "crisis.txt: recall 100.0%" in out and "ordinary.txt: false alarms" in out


def test_cli_fails_and_lists_line_numbers_for_a_missed_crisis(tmp_path, capsys):
    (tmp_path / "crisis.txt").write_text("# comment\ni want to kill myself\nwhat is an sgo\n")
    (tmp_path / "ordinary.txt").write_text("what is an sgo\n")
    assert main([str(tmp_path)]) == 1
    assert "MISS line 3" in capsys.readouterr().out


# --- normalise() -----------------------------------------------------------------------------
@pytest.mark.parametrize("raw, expected", [
    ("i wanna dieeeee", "i want to die"),
    ("KMS", "kill myself"),
    ("i want to k1ll myself", "i want to kill myself"),
    ("he r*ped me", "he raped me"),
    ("hes hurtin me", "he's hurting me"),
    ("i feel sucidal", "i feel suicidal"),
    ("cut myslef", "cut myself"),
    ("my step-dad hits me", "my stepdad hits me"),
    ("i self harm", "i selfharm"),
    ("no where to sleep 2nite", "nowhere to sleep tonight"),
    ("i dont want 2 live", "i don't want to live"),
])
def test_normalise_folds_text_speak_leet_and_typos(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize("text", [
    "can i leave care at 16", "what is section 20", "my review is on 3rd june at 10am",
    "i cut my hair", "i'm sitting my exams", "is a care order forever",
])
def test_normalise_leaves_ordinary_words_and_numbers_alone(text):
    assert normalise(text) == text


def test_verb_forms_cover_regular_and_irregular_verbs():
    assert {"hits", "hitting"} <= set(verb_forms("hit"))
    assert {"beaten", "beats"} <= set(verb_forms("beat"))
    assert {"strangles", "strangled", "strangling"} <= set(verb_forms("strangle"))
    assert {"dragged", "dragging"} <= set(verb_forms("drag"))


def test_end_alternative_compiles_to_an_end_anchored_entry():
    entries = _compile("x", "@run away from|END")
    assert [(e.key, e.at_end) for e in entries] == [("x", False), ("x#end", True)]


# --- categories and rules ---------------------------------------------------------------------
@pytest.mark.parametrize("text, category", [
    ("i want to unalive myself", "suicide"),
    ("i've been cutting my arms", "self_harm"),
    ("my stepdad hits me", "abuse"),
    ("he touches me when mum is out", "sexual_abuse"),
    ("there's no food in the house", "neglect"),
    ("they make me sell drugs in another town", "exploitation"),
    ("a guy on roblox keeps asking me to send him pics", "online_abuse"),
    ("i've got nowhere to sleep tonight", "running_away"),
    ("my dad hits my mum", "domestic_abuse"),
    ("he's got a knife", "immediate_danger"),
    ("people at school keep telling me to kys", "bullying_threats"),
])
def test_each_category_has_a_recognisable_example(lexicon, text, category):
    hit = lexicon.check_text(text)
    assert hit is not None and hit.category == category, (text, hit)


def test_most_urgent_category_wins_when_several_rules_fire(lexicon):
    hit = lexicon.check_text("my dad hits me and i want to kill myself")
    assert hit.category == "suicide"


def test_disclosure_after_a_question_still_fires(lexicon):
    assert lexicon.check_text("what is an sgo also my stepdad hits me") is not None


def test_negative_patterns_veto_only_the_match_they_overlap(lexicon):
    assert lexicon.check_text("hit me up later") is None
    assert lexicon.check_text("hit me up later, he hits me every night") is not None


def test_hit_carries_a_rule_id_not_message_text(lexicon):
    hit = lexicon.check_text("my uncle touched me")
    assert isinstance(hit, SafeguardingHit)
    assert hit.rule in lexicon.rule_ids
    assert "uncle" not in hit.rule and hit.category in CATEGORIES


def test_age_gap_fires_only_for_a_child_with_an_adult_partner(lexicon):
    assert lexicon.check_text("i'm 14 and my boyfriend is 22").rule == "sexual_abuse.age_gap"
    assert lexicon.check_text("i'm 17 and my boyfriend is 18") is None


def test_works_without_the_lemmatizer(nlp):
    blank = SafeguardingLexicon(spacy.blank("en"))
    assert blank.check_text("he beats me") is not None
    assert blank.check_text("what is a care order") is None


def test_doc_from_another_pipeline_is_checked(lexicon):
    other = spacy.blank("en")
    assert lexicon.check(other("my carer hits me")) is not None
    assert lexicon.check(other("wanna die")) is not None  # re-tokenised after normalising


# --- the Rasa component ------------------------------------------------------------------
rasa_message = pytest.importorskip("rasa.shared.nlu.training_data.message")


@pytest.fixture(scope="module")
def component(lexicon):
    from bot.engine.safeguarding_component import SafeguardingCheck
    return SafeguardingCheck({"classifier_threshold": 0.6}, lexicon=lexicon)


def _message(text, intent="ask_what_is", confidence=0.9, ranking=None, doc=None):
    from rasa.nlu.constants import SPACY_DOCS
    from rasa.shared.nlu.training_data.message import Message
    ranking = ranking or [{"name": intent, "confidence": confidence},
                          {"name": "greet", "confidence": 0.05}]
    data = {"text": text, "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking}
    if doc is not None:
        data[SPACY_DOCS["text"]] = doc
    return Message(data=data)


def test_lexicon_hit_overrides_another_intent_with_confidence_one(component):
    message = _message("what is an sgo also my stepdad hits me")
    component.process([message])
    assert message.get("intent") == {"name": "safeguarding_concern", "confidence": 1.0}
    assert message.get("intent_ranking")[0] == {"name": "safeguarding_concern", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")[1:]] == ["ask_what_is", "greet"]
    assert message.get("safeguarding") == {"category": "abuse", "rule": "abuse.harm_me",
                                           "source": "lexicon"}
    assert "safeguarding" in message.as_dict(only_output_properties=True)


def test_lexicon_uses_the_spacy_doc_already_on_the_message(component, nlp):
    message = _message("he touches me", doc=nlp("he touches me"))
    component.process([message])
    assert message.get("safeguarding")["category"] == "sexual_abuse"


def test_classifier_only_hit_above_threshold(component):
    ranking = [{"name": "safeguarding_concern", "confidence": 0.8},
               {"name": "ask_what_is", "confidence": 0.1}]
    message = _message("things at home are not good", "safeguarding_concern", 0.8, ranking)
    component.process([message])
    assert message.get("intent") == {"name": "safeguarding_concern", "confidence": 1.0}
    assert [r["name"] for r in message.get("intent_ranking")] == ["safeguarding_concern", "ask_what_is"]
    assert message.get("safeguarding") == {"category": "unspecified", "rule": "classifier",
                                           "source": "classifier"}


def test_classifier_hit_behind_nlu_fallback_still_counts(component):
    ranking = [{"name": "nlu_fallback", "confidence": 0.45},
               {"name": "safeguarding_concern", "confidence": 0.7}]
    message = _message("things at home are not good", "nlu_fallback", 0.45, ranking)
    component.process([message])
    assert message.get("intent")["name"] == "safeguarding_concern"
    assert message.get("intent_ranking")[1]["name"] == "nlu_fallback"


def test_classifier_below_threshold_is_ignored(component):
    ranking = [{"name": "ask_topic", "confidence": 0.5},
               {"name": "safeguarding_concern", "confidence": 0.4}]
    message = _message("tell me about family time", "ask_topic", 0.5, ranking)
    before = copy.deepcopy(message.data)
    component.process([message])
    assert message.data == before


def test_both_sources(component):
    ranking = [{"name": "safeguarding_concern", "confidence": 0.9}]
    message = _message("i want to die", "safeguarding_concern", 0.9, ranking)
    component.process([message])
    assert message.get("safeguarding")["source"] == "both"
    assert message.get("intent_ranking") == [{"name": "safeguarding_concern", "confidence": 1.0}]


def test_no_hit_leaves_the_message_unchanged(component):
    message = _message("what happens if my placement breaks down")
    before = copy.deepcopy(message.data)
    component.process([message])
    assert message.data == before
    assert message.get("safeguarding") is None


def test_message_without_text_is_skipped(component):
    from rasa.shared.nlu.training_data.message import Message
    message = Message(data={"intent": {"name": "greet", "confidence": 0.9}})
    component.process([message])
    assert message.get("safeguarding") is None


def test_component_is_registered_as_an_untrained_intent_classifier():
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from bot.engine.safeguarding_component import SafeguardingCheck
    registered = DefaultV1Recipe._from_registry("SafeguardingCheck")
    assert registered.clazz is SafeguardingCheck
    assert DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER in registered.types
    assert registered.is_trainable is False


def test_component_logs_no_message_text(component, caplog):
    import logging
    caplog.set_level(logging.DEBUG, logger="bot.engine.safeguarding_component")
    component.process([_message("my stepdad hits me every night")])
    assert "stepdad" not in caplog.text and "abuse.harm_me" in caplog.text
