"""The pure parts of `make eval` and `make bench`: scoring, percentiles, /proc memory, reports."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.engine.evaluation import nlu
from bot.evaluation.loadstats import Series, children_of, parse_status_kb, percentile, ratio, series_table, \
    tree_memory_kb
from bot.engine.evaluation.nlu import HoldoutItem, Parsed
from bot.knowledge.scope import TopicScope


# ---- a tiny library standing in for bot.knowledge.cards.Library ---------------------------------
@dataclass
class FakeCard:
    id: str
    intents: tuple = ()


@dataclass
class FakeLibrary:
    cards: dict = field(default_factory=lambda: {
        "sgo": FakeCard("sgo"), "care_order": FakeCard("care_order"),
        "family_time": FakeCard("family_time", ("ask_family_time",)),
    })
    aliases: dict = field(default_factory=lambda: {"sgo": "sgo", "special guardianship": "sgo",
                                                   "care order": "care_order", "family time": "family_time"})

    def card_for_term(self, text):
        cid = self.aliases.get(text.lower())
        return self.cards[cid] if cid else None

    def cards_named(self, entities):
        found = []
        for e in entities:
            if e.get("entity") == "term":
                card = self.card_for_term(e["value"])
                if card and card not in found:
                    found.append(card)
        return found

    def card_for_intent(self, intent):
        return next((card for card in self.cards.values() if intent in card.intents), None)


def term(value):
    return {"entity": "term", "value": value}


LIB = FakeLibrary()


def test_expected_intent_follows_the_card():
    assert nlu.expected_intent(HoldoutItem("x", "g", card="sgo"), LIB) == "ask_what_is"
    assert nlu.expected_intent(HoldoutItem("x", "g", card="family_time"), LIB) == "ask_family_time"
    assert nlu.expected_intent(HoldoutItem("x", "g", compare=("sgo", "care_order")), LIB) == "compare_orders"
    assert nlu.expected_intent(HoldoutItem("x", "g", intent="out_of_scope"), LIB) == "out_of_scope"
    with pytest.raises(ValueError):
        nlu.expected_intent(HoldoutItem("x", "g", card="nope"), LIB)


def test_expected_terms_only_where_the_card_must_be_named():
    assert nlu.expected_term_cards(HoldoutItem("x", "g", card="sgo"), LIB) == ["sgo"]
    assert nlu.expected_term_cards(HoldoutItem("x", "g", card="family_time"), LIB) is None
    assert nlu.expected_term_cards(HoldoutItem("x", "g", compare=("sgo", "care_order")), LIB) == ["care_order", "sgo"]
    assert nlu.expected_term_cards(HoldoutItem("x", "g", intent="out_of_scope"), LIB) == []


def test_score_labels_per_label_micro_and_macro():
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("c", None)]
    scores, micro, macro = nlu.score_labels(pairs)
    by = {s.label: s for s in scores}
    assert by["a"].precision == 1.0 and by["a"].recall == 0.5
    assert by["b"].precision == 0.5 and by["b"].recall == 1.0
    assert by["c"].recall == 0.0 and by["<none>"].predicted == 1
    assert micro.f1 == pytest.approx(0.5)
    # macro over expected labels a, b, c: F1 = (2/3 + 2/3 + 0) / 3
    assert macro.f1 == pytest.approx(4 / 9)


def test_score_counts_cards_entities_confusions_and_out_of_scope():
    items = [
        HoldoutItem("whats an sgo", "orders", card="sgo"),
        HoldoutItem("care order?", "orders", card="care_order"),              # small talk: no card answer
        HoldoutItem("can i see my sister", "topics", card="family_time"),
        HoldoutItem("sgo vs care order", "orders", compare=("sgo", "care_order")),
        HoldoutItem("weather", "chitchat", intent="out_of_scope"),
        HoldoutItem("homework", "chitchat", intent="out_of_scope"),
        HoldoutItem("what is photosynthesis", "chitchat", intent="out_of_scope"),
    ]
    parses = [
        Parsed("ask_what_is", 0.9, (term("sgo"),)),
        Parsed("greet", 0.6, (term("care order"),)),
        Parsed("ask_family_time", 0.8, ()),
        Parsed("compare_orders", 0.9, (term("special guardianship"), term("care order"))),
        Parsed("out_of_scope", 0.9, ()),
        Parsed("nlu_fallback", 0.3, ()),
        Parsed("ask_what_is", 0.7, (term("photosynthesis"),)),
    ]
    scope = TopicScope({"ask_family_time": frozenset({"sister", "mum"})}, frozenset({"sister", "mum"}))
    result = nlu.score(items, parses, LIB, scope=scope)
    assert result.card_items == 4
    assert result.card_accuracy == pytest.approx(3 / 4)          # the small-talk one answers nothing
    assert result.card_accuracy_any_intent == pytest.approx(1.0)
    assert result.groups["orders"]["card_ok"] == 2 and result.groups["orders"]["card_items"] == 3
    # "what is photosynthesis" -> ask_what_is naming none of our cards: the bot asks back, no answer.
    assert result.out_of_scope == {"items": 3, "strict": 1, "no_domain_answer": 3, "ordinary_items": 7,
                                   "safeguarding_false_alarms": 0, "turned_away": 0,
                                   "care_turned_away": 0}
    # entities: sgo (tp), care_order (tp), compare (2 tp), oos: photosynthesis unresolved (fp)
    assert (result.entities.tp, result.entities.fp, result.entities.fn) == (4, 1, 0)
    assert ("out_of_scope", "ask_what_is", 1, ["what is photosynthesis"]) in result.confusions
    text = nlu.markdown(result)
    assert "| orders | 3 |" in text and "what is photosynthesis" in text
    assert any("card accuracy 75.0%" in line for line in nlu.summary_lines(result))


def test_a_topic_intent_the_scope_check_turns_away_is_no_domain_answer():
    """"how many legs does a spider have" read as family time gets the out-of-scope reply."""
    scope = TopicScope({"ask_family_time": frozenset({"sister", "mum"})}, frozenset({"sister", "mum"}))
    items = [HoldoutItem("how many legs does a spider have", "chitchat", intent="out_of_scope"),
             HoldoutItem("can i see my sister", "topics", card="family_time")]
    parses = [Parsed("ask_family_time", 0.9, ()), Parsed("ask_family_time", 0.9, ())]
    result = nlu.score(items, parses, LIB, scope=scope)
    assert [o.off_topic for o in result.outcomes] == [True, False]
    assert result.out_of_scope["no_domain_answer"] == 1 and result.out_of_scope["turned_away"] == 1
    assert result.out_of_scope["care_turned_away"] == 0
    assert result.card_accuracy == 1.0
    assert "spider" not in nlu.markdown(result).split("given a domain answer")[1]
    unscoped = nlu.score(items, parses, LIB, scope=TopicScope({}, frozenset()))
    assert unscoped.out_of_scope["no_domain_answer"] == 0


def test_a_check_in_scores_the_card_of_the_question_under_it_and_the_full_reply_none():
    """The bot answers the interrupted question after a check-in (bot.knowledge.under_check_in)."""
    scope = TopicScope({"ask_family_time": frozenset({"contact"})}, frozenset({"contact"}))
    items = [HoldoutItem("i dont want to go to contact anymore do i have to", "t", card="family_time")] * 2
    found = {"tier": "check_in", "asked": {"name": "ask_family_time", "confidence": 0.8}}
    parses = [Parsed.from_rasa({"intent": {"name": "safeguarding_concern", "confidence": 1.0},
                                "safeguarding": found}),
              Parsed.from_rasa({"intent": {"name": "safeguarding_concern", "confidence": 1.0},
                                "safeguarding": dict(found, tier="risk")})]
    result = nlu.score(items, parses, LIB, scope=scope)
    assert [o.answer for o in result.outcomes] == ["family_time", None]
    assert [o.card_ok for o in result.outcomes] == [True, False]


def test_parsed_from_rasa_output():
    parsed = Parsed.from_rasa({"intent": {"name": "greet", "confidence": 0.97}, "entities": [term("sgo")]})
    assert parsed.intent == "greet" and parsed.confidence == pytest.approx(0.97) and parsed.entities[0]["value"] == "sgo"
    assert Parsed.from_rasa({}).intent is None


def test_load_holdout_reads_groups(tmp_path: Path):
    (tmp_path / "orders.yml").write_text("- text: whats an sgo\n  card: sgo\n- {text: hi, intent: greet}\n")
    (tmp_path / "compare.yml").write_text("- text: sgo vs co\n  compare: [sgo, care_order]\n")
    items = nlu.load_holdout(tmp_path)
    assert [i.group for i in items] == ["compare", "orders", "orders"]
    assert items[0].compare == ("sgo", "care_order") and items[2].intent == "greet"


def test_the_real_holdout_set_loads_and_every_item_has_an_expected_intent():
    from bot.knowledge.card_loader import load_library

    library = load_library()
    items = nlu.load_holdout()
    assert items
    for item in items:
        if item.card and item.card not in library.cards:
            continue  # test_holdout_data reports unknown cards
        assert nlu.expected_intent(item, library)


# ---- bench helpers -------------------------------------------------------------------------
def test_percentile_interpolates_like_numpy():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 99) == 10
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert math.isnan(percentile([], 50))


def test_series_throughput_errors_and_table():
    s = Series("starter (REST)", "starter", 20, latencies_ms=[10.0, 20.0, 30.0], wall_seconds=0.5)
    s.add_error("http 500")
    assert s.turns == 4 and s.errors == 1 and s.throughput == 6.0 and s.error_kinds == {"http 500": 1}
    table = series_table([s])
    assert "| starter (REST) | starter | 20 | 4 | 20.0 | 29.0 | 29.8 | 6.0 | 1 |" in table
    assert math.isnan(ratio(1.0, 0.0)) and ratio(3.0, 2.0) == 1.5


def test_status_parsing_and_process_tree(tmp_path: Path):
    status = "Name:\tpython\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n"
    assert parse_status_kb(status, "VmRSS") == 1024 and parse_status_kb(status, "VmSwap") is None
    for pid, ppid, rss in ((10, 1, 1000), (11, 10, 200), (12, 11, 30), (13, 1, 5)):
        d = tmp_path / str(pid)
        d.mkdir()
        (d / "stat").write_text(f"{pid} (odd name) x) S {ppid} 0 0\n")
        (d / "status").write_text(f"VmRSS:\t{rss} kB\nVmHWM:\t{rss * 2} kB\n")
    assert sorted(children_of(10, tmp_path)) == [11, 12]
    assert tree_memory_kb(10, tmp_path) == {"rss_kb": 1230, "hwm_kb": 2460, "processes": 3}


def test_own_process_memory_is_readable():
    import os

    assert tree_memory_kb(os.getpid())["rss_kb"] > 0


def test_bench_report_renders_ratios_and_targets():
    from bot.evaluation import bench

    series = [
        Series(bench.TARGET_STARTER, "starter", 1, [40.0] * 10, wall_seconds=0.4),
        Series(bench.TARGET_REST, "knowledge", 1, [30.0] * 10, wall_seconds=0.3),
        Series(bench.TARGET_STARTER, "starter", 50, [400.0] * 50, wall_seconds=2.0),
        Series(bench.TARGET_REST, "knowledge", 50, [500.0] * 50, wall_seconds=2.5),
    ]
    text = bench.render("now", Path("m.tar.gz"), bench.Plan(), series, {"x": {"processes": 1, "rss_kb": 2048,
                                                                              "hwm_kb": 4096}},
                        {"carechat": {"seconds": 100.0, "ok": True}, "starter": {"seconds": 50.0}},
                        {"carechat": 30.0, "starter": 20.0, "stack": 31.0}, None, [])
    assert "| CareChat (REST), knowledge | sequential | 0.75x | 0.75x | 0.75x | 1.33x |" in text
    assert "| CareChat (REST), knowledge | 50 | 1.25x | 1.25x | 1.25x | 0.80x |" in text
    assert "**met**" in text and "| x | 1 | 2 MB | 4 MB |" in text
