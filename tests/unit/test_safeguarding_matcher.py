"""The safeguarding lexicon and matcher, in plain Python (no Rasa, no spaCy).

The phrase lists the lexicon was written with (content/safeguarding/training/phrases_*.txt)
and the older holdout (tests/safety/crisis_holdout.txt) are the contract for the lexicon
alone: every crisis line fires (as a full reply or a check-in), and no ordinary line gets
the full safety reply from the lexicon's strong rules.
"""
from pathlib import Path

import pytest
import yaml

from bot.safeguarding.lexicon import CHECK_IN, LEXICON_PATH, RISK, LexiconError, load_lexicon, parse_lexicon
from bot.safeguarding.matcher import AGE_GAP_RULE, Signal, default_matcher, tokenise, verb_forms
from bot.safeguarding.phrase_sets import read_phrase_list

ROOT = Path(__file__).resolve().parents[2]
TRAINING = ROOT / "content" / "safeguarding" / "training"
HOLDOUT = ROOT / "tests" / "safety" / "crisis_holdout.txt"


@pytest.fixture(scope="module")
def matcher():
    return default_matcher()


@pytest.fixture(scope="module")
def raw_lexicon():
    return yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))


# --- the phrase lists ----------------------------------------------------------------------
@pytest.mark.parametrize("path", [TRAINING / "phrases_crisis.txt", HOLDOUT], ids=["phrases", "holdout"])
def test_every_crisis_phrase_fires(matcher, path):
    phrases = read_phrase_list(path)
    assert len(phrases) >= 40
    missed = [(p.line, p.text) for p in phrases if matcher.check(p.text) is None]
    assert missed == []


def test_ordinary_phrases_never_get_a_strong_rule(matcher):
    phrases = read_phrase_list(TRAINING / "phrases_ordinary.txt")
    assert len(phrases) >= 120
    strong = [(p.line, s.rule) for p in phrases if (s := matcher.check(p.text)) and s.strong]
    assert strong == []


def test_ordinary_phrases_rarely_fire_at_all(matcher):
    phrases = read_phrase_list(TRAINING / "phrases_ordinary.txt")
    fired = [p.text for p in phrases if matcher.check(p.text)]
    assert len(fired) / len(phrases) < 0.03, fired


# --- the lexicon as data ------------------------------------------------------------------
def test_lexicon_has_both_tiers_and_every_category_is_used():
    lexicon = load_lexicon()
    tiers = {r.tier for r in lexicon.rules}
    assert tiers == {RISK, CHECK_IN}
    used = {r.category for r in lexicon.rules}
    assert used <= set(lexicon.categories)
    assert {"suicide", "self_harm", "running_away", "nowhere_to_sleep", "physical_abuse", "sexual_abuse",
            "online_abuse", "exploitation", "neglect", "domestic_abuse", "fear_of_home", "unsafe_adult",
            "worried_about_someone"} <= used


@pytest.mark.parametrize("break_it, message", [
    (lambda d: d["rules"].append(dict(d["rules"][0])), "appears twice"),
    (lambda d: d["rules"][0].update(category="nonsense"), "unknown category"),
    (lambda d: d["rules"][0].update(tier="maybe"), "tier must be"),
    (lambda d: d["rules"][0].update(pattern="$NOSUCHLIST hurts"), "unknown word list"),
    (lambda d: d.update(strong=["no.such.rule"]), "unknown rules"),
    (lambda d: d.update(overrule_strong=["neg.no_such_rule"]), "unknown negative rules"),
    (lambda d: d.update(soften_to_check_in=["neg.no_such_rule"]), "unknown negative rules"),
    (lambda d: d.update(soften_to_check_in=list(d["overrule_strong"][:1])), "both cancel and soften"),
    (lambda d: d.pop("word_lists"), "'word_lists' must be"),
])
def test_malformed_lexicon_is_refused_with_a_reason(raw_lexicon, break_it, message):
    data = yaml.safe_load(yaml.safe_dump(raw_lexicon))
    break_it(data)
    with pytest.raises(LexiconError, match=message):
        parse_lexicon(data)


# --- normalising and tokenising -------------------------------------------------------------
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
def test_normalise_folds_text_speak_leet_and_typos(matcher, raw, expected):
    assert matcher.normalise(raw) == expected


@pytest.mark.parametrize("text", [
    "can i leave care at 16", "what is section 20", "my review is on 3rd june at 10am",
    "i cut my hair", "i'm sitting my exams", "is a care order forever",
])
def test_normalise_leaves_ordinary_words_and_numbers_alone(matcher, text):
    assert matcher.normalise(text) == text


def test_tokenise_splits_like_spacy_for_what_the_patterns_need():
    assert [t.text for t in tokenise("i don't, can't, i'm (ok)!")] == [
        "i", "do", "n't", ",", "ca", "n't", ",", "i", "'m", "(", "ok", ")", "!"]
    assert [t.text for t in tokenise("cannot stay-over")] == ["can", "not", "stay", "-", "over"]


def test_verb_forms_cover_regular_and_irregular_verbs():
    irregular = load_lexicon().irregular_verbs
    assert {"hits", "hitting"} <= set(verb_forms("hit", irregular))
    assert {"beaten", "beats"} <= set(verb_forms("beat", irregular))
    assert {"strangles", "strangled", "strangling"} <= set(verb_forms("strangle", irregular))
    assert {"dragged", "dragging"} <= set(verb_forms("drag", irregular))


# --- categories, tiers and rules -----------------------------------------------------------
@pytest.mark.parametrize("text, category, tier", [
    ("i want to unalive myself", "suicide", RISK),
    ("i've been cutting my arms", "self_harm", RISK),
    ("my stepdad hits me", "physical_abuse", RISK),
    ("he touches me when mum is out", "sexual_abuse", RISK),
    ("there's no food in the house", "neglect", RISK),
    ("they make me sell drugs in another town", "exploitation", RISK),
    ("a guy on roblox keeps asking me to send him pics", "online_abuse", RISK),
    ("my dad hits my mum", "domestic_abuse", RISK),
    ("he's got a knife", "immediate_danger", RISK),
    ("people at school keep telling me to kys", "bullying_threats", RISK),
    ("nobody would even notice if i was gone", "suicide", CHECK_IN),
    ("took a few extra tablets, its nothing", "self_harm", CHECK_IN),
    ("i'm dreading going back there after contact", "fear_of_home", CHECK_IN),
    ("mum is passed out drunk again", "neglect", RISK),
])
def test_each_category_has_a_recognisable_example(matcher, text, category, tier):
    signal = matcher.check(text)
    assert signal is not None and (signal.category, signal.tier) == (category, tier), (text, signal)


# The rules of 2026-11-30 (afternoon), each tried on wording of our own (never a test-set line)
# and on ordinary messages that share its words.
@pytest.mark.parametrize("text, rule", [
    ("my foster son has worked out when he will end it all, he told his mate", "suicide.plan_how"),
    ("shes up on the roof of the flats saying she wants to jump", "suicide.high_place"),
    ("my daughter keeps threatening to jump", "suicide.threaten_jump"),
    ("how high does a building have to be", "suicide.how_high"),
    ("please tell my little sister i love her in case i'm not here", "suicide.last_words"),
    ("whats the best way to wash blood off my sleeves before my carer sees", "self_harm.hide_evidence"),
    ("can i switch off location sharing without my foster mum finding out", "running_away.turn_off_tracking"),
    ("gonna go to my mates in leeds, not planning to come back", "running_away.not_planning_back"),
    ("can i sit in the library until they close and then what", "nowhere_to_sleep.until_they_shut"),
    ("my placement fell apart today and i've got nowhere to go", "nowhere_to_sleep.placement_broke"),
    ("a man in a game chat asked where my school is and when i get out", "online_abuse.asks_where"),
    ("someone says they've got pics of me from my bedroom camera", "online_abuse.recordings_of_me"),
    ("i dread the weekends at my mums", "fear_of_home.dread_time_there"),
    ("i wish contact never happened", "fear_of_home.wish_never_came"),
    ("nights at home are horrible", "fear_of_home.home_is_bad"),
    ("could i live at school", "fear_of_home.live_at_school"),
    ("my nan never takes us to the doctor even when we're ill", "neglect.not_taken_to_doctor"),
    ("is there somewhere to get food when your mum isnt around", "neglect.parents_not_around"),
    ("my partner opens all my post", "domestic_abuse.reads_my_post"),
    # the evening's rules, from the held-out misses
    ("they went off for the weekend and left us in the flat on our own", "neglect.left_home_alone"),
    ("can i hide my tracker before my social worker notices", "running_away.hide_location"),
    ("does anyone know anywhere warm i could go, its freezing out", "nowhere_to_sleep.somewhere_warm"),
    ("i was out all night again and nobody asked where", "running_away.out_all_night"),
    ("the scratch on my cheek is from where my stepdad did it", "physical_abuse.mark_from_where"),
    # the night's rules, from blind_final_10's two misses
    ("what is the most painless method tbh", "suicide.painless_way"),
    ("my mums new boyfriend has a record for hurting kids and he stays over", "unsafe_adult.conviction_child"),
    ("the lodger was convicted of abusing a child years ago", "unsafe_adult.conviction_child"),
])
def test_the_new_check_rules_fire_on_their_family_of_wordings(matcher, text, rule):
    assert rule in [r for r, _, _ in matcher.matches(text)], text


@pytest.mark.parametrize("text", [
    "we went to the bridge and watched people jump into the river",
    "how tall is the tallest building in the world",
    "how do i turn off location sharing so my friends can't see",
    "can i stay overnight at my friends house",
    "my nan has photos of me as a baby",
    "my carer never takes me to the cinema",
    "we planned how we will end the party",
    "my placement broke down last year and I'm still upset about it",
    "tell my mum i love her when you see her",
    "how far is the drop on the ride, do you need to be tall enough",
    "can you just leave me alone for a bit",
    "my carer left me at home to finish my homework while she went to the shop",
    "we need somewhere warm and sunny for the half term holiday",
    "the party next door was loud all night",
    "the cat's been meowing all night",
    "is there an emergency electrician the council can send",
    "my legs ache from when we did it in pe",
    "whats the most painless way to get my ears pierced",
    "can someone with a driving conviction be a foster carer",
])
def test_the_new_rules_leave_ordinary_messages_alone(matcher, text):
    assert matcher.check(text) is None, (text, matcher.check(text))


@pytest.mark.parametrize("text", [
    "we watched a film about county lines in pshe today",
    "can a non-molestation order stop my ex coming to contact",
    "burnt myself on the toaster making breakfast, is there a walk in centre",
    "the paper says a girl went missing from the next village",
])
def test_some_settings_overrule_even_a_strong_rule(matcher, text):
    assert matcher.check(text) is None, (text, matcher.check(text))


# The same strong words about the writer still get the full reply. Softening settings get the
# check-in, never silence: a question about overdosing on vitamins, a book or essay about someone
# who self-harms. An overdose question about medicines, or an overdose told as a fact, keeps the
# strong full reply (test_strong_rules_are_marked).
@pytest.mark.parametrize("text, tier", [
    ("older lads want me to do county lines for them", RISK),
    ("i burn myself when it gets too much", RISK),
    ("my uncle molested me when i was little", RISK),
    ("i went missing for two days and nobody noticed", RISK),
    ("i burn myself on the stove when it all gets too much", RISK),
    ("can we talk about county lines, they make me carry stuff", RISK),
    ("how many vitamins do i need to overdose", RISK),
    ("can you overdose on vitamin c? been taking 2 a day for my cold", CHECK_IN),
    ("is it possible to overdose on vitamins", CHECK_IN),
    ("how do you overdose on multivitamins, the label says 1 a day", CHECK_IN),
    ("we're reading a novel about a girl who self harms in english, what are the themes", CHECK_IN),
    ("is there a film about suicide that's ok for year 9", CHECK_IN),
])
def test_strong_words_earn_the_tier_their_setting_deserves(matcher, text, tier):
    signal = matcher.check(text)
    assert signal is not None and signal.tier == tier, (text, signal)
    assert tier == RISK or not signal.strong, (text, signal)


def test_a_softened_match_does_not_hide_a_risk_elsewhere_in_the_message(matcher):
    signal = matcher.check("can you overdose on vitamins? i want to kill myself")
    assert signal.tier == RISK and signal.rule == "suicide.kill_self", signal


# Among risks the strong rule decides, so that the classifier's doubt about a weaker rule in
# the same message cannot turn a strong one into a check-in or silence.
def test_a_strong_rule_outranks_a_weaker_risk_rule_in_the_same_message(matcher):
    signal = matcher.check("my sister cuts herself and says she wants to die")
    assert signal.strong and signal.rule == "self_harm.verb_self", signal


# Hiding one's location is about going missing, not about hiding injuries (moved 2026-11-30 evening).
def test_hiding_a_location_is_a_running_away_signal_not_self_harm(matcher):
    signal = matcher.check("how do i hide my location from life360 before my carer checks")
    assert signal is not None and signal.category == "running_away", signal


def test_full_reply_rules_win_over_check_in_rules(matcher):
    assert matcher.check("nobody would notice if i was gone so i want to kill myself").tier == RISK


def test_most_urgent_category_wins_when_several_rules_fire(matcher):
    assert matcher.check("my dad hits me and i want to kill myself").category == "suicide"


def test_disclosure_after_a_question_still_fires(matcher):
    assert matcher.check("what is an sgo also my stepdad hits me") is not None


def test_negative_patterns_veto_only_the_match_they_overlap(matcher):
    assert matcher.check("hit me up later") is None
    assert matcher.check("hit me up later, he hits me every night") is not None


def test_strong_rules_are_marked(matcher):
    assert matcher.check("i want to kill myself").strong
    assert not matcher.check("my mum will kill me").strong
    # outside a softening setting an overdose keeps the strong full reply
    assert matcher.check("can you overdose on paracetamol").strong
    assert matcher.check("i overdosed on vitamins last night").strong


def test_signal_carries_a_rule_id_not_message_text(matcher):
    signal = matcher.check("my uncle touched me")
    assert isinstance(signal, Signal)
    assert signal.rule in {r.id for r in load_lexicon().rules}
    assert "uncle" not in signal.rule


def test_age_gap_fires_only_for_a_child_with_an_adult_partner(matcher):
    assert matcher.check("i'm 14 and my boyfriend is 22").rule == AGE_GAP_RULE
    assert matcher.check("i'm 17 and my boyfriend is 18") is None


def test_long_message_is_checked_quickly(matcher):
    import time

    text = "what is a special guardianship order and how does it differ from a care order " * 12
    start = time.perf_counter()
    assert matcher.check(text + " he hits me") is not None
    assert time.perf_counter() - start < 2.0


def test_help_now_on_its_own_is_a_strong_risk_whatever_the_classifier_says():
    """The page and the check-in tell people to type "help now" at any time."""
    from bot.safeguarding.matcher import default_matcher

    matcher = default_matcher()
    for text in ("help now", "Help now!", "help asap please"):
        signal = matcher.check(text)
        assert signal is not None and signal.tier == "risk" and signal.strong, text
    assert matcher.check("can you help now with my review question") is None
