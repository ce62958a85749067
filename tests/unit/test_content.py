"""The knowledge library: loading, checking, lookup, rendering and readability."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from bot.knowledge.audiences import VERSIONS as AUDIENCES
from bot.knowledge.card_checks import check_library, load_checked_library
from bot.knowledge.card_loader import load_library
from bot.knowledge.cards import ContentError, UnknownCard, UnknownCouncil, normalise_audience
from bot.knowledge.terms import normalise_term
from bot.settings import PROJECT_ROOT

CONTENT = PROJECT_ROOT / "content"
MUST_EXIST = ("special_guardianship_order", "cic_review")


@pytest.fixture(scope="module")
def library():
    return load_library(CONTENT)


# ---- the real content ------------------------------------------------------------------------
def test_real_content_has_no_problems(library):
    assert check_library(library) == []


def test_priority_cards_exist(library):
    for card_id in MUST_EXIST:
        assert card_id in library.cards
    assert library.cards["special_guardianship_order"].intents == ("ask_special_guardianship_order",)
    assert library.card_for_intent("ask_review_meeting").id == "cic_review"
    assert library.card_for_intent("no_such_intent") is None


def test_every_card_renders_for_every_audience_and_council(library):
    for card in library.cards.values():
        for council_id in library.councils:
            for audience in AUDIENCES:
                answer = library.render(card.id, audience, council_id)
                assert answer.text.startswith(card.versions[audience].strip()[:40])
                assert answer.source_line.startswith("Source: ")


# ---- rendering -------------------------------------------------------------------------------
def test_audiences_get_their_own_versions(library):
    texts = {a: library.render("special_guardianship_order", a, "north_yorkshire").text for a in AUDIENCES}
    assert len(set(texts.values())) == 3
    assert library.render("special_guardianship_order", "professional", "durham").text == library.render(
        "special_guardianship_order", "parent", "durham"
    ).text
    assert normalise_audience("martian") == "young_person"
    assert normalise_audience(None) == "young_person"
    assert normalise_audience("Young Person") == "young_person"


def test_local_text_and_source_line_belong_to_the_chosen_council_only(library):
    card = library.cards["special_guardianship_order"]
    ny = library.render(card.id, "young_person", "north_yorkshire")
    cal = library.render(card.id, "young_person", "calderdale")
    assert card.local["north_yorkshire"].versions["young_person"].strip() in ny.text
    assert card.local["calderdale"].versions["young_person"].strip() not in ny.text
    assert "enhanced" in cal.text and "enhanced" not in ny.text
    assert "North Yorkshire County Council Permanency Strategy 2022-2025" in ny.source_line
    assert "Calderdale" not in ny.source_line
    assert "Children Act 1989, s14A-14G" in ny.source_line


def test_related_pairs_are_card_id_and_title(library):
    answer = library.render("cic_review", "child", "durham")
    assert answer.related, "cic_review should point somewhere next"
    for card_id, title in answer.related:
        assert library.cards[card_id].title == title


def test_unknown_card_or_council_fails_loudly(library):
    with pytest.raises(UnknownCard):
        library.render("no_such_card", "child", "north_yorkshire")
    with pytest.raises(UnknownCouncil):
        library.render("cic_review", "child", "atlantis")


# ---- a small fixture library written to tmp_path -----------------------------------------------
SOURCES = {
    "act": {"title": "Test Act 1989", "council": None, "detail": "s1"},
    "doc_a": {"title": "Council A Strategy", "council": "council_a", "detail": None},
    "doc_b": {"title": "Council B Policy", "council": "council_b", "detail": None},
}


def _council(cid: str, place: str, doc: str) -> dict:
    return {
        "id": cid,
        "name": f"{place} Council",
        "place": place,
        "documents": [doc],
        "contacts": {},
        "out_of_hours": None,
        "review_timetable": {
            "first_review_working_days": 20,
            "second_review_after_first_days": None,
            "second_review_after_first_months": 3,
            "subsequent_review_months": 6,
            "source": "act",
            "stated_by_council": False,
        },
        "advocacy": {"offer": None, "how_to_ask": None, "source": None},
    }


def _card(cid: str, aliases: list[str], related: list[str], local: dict | None = None) -> dict:
    card = {
        "id": cid,
        "title": cid.replace("_", " ").title(),
        "kind": "topic",
        "aliases": aliases,
        "intents": [],
        "versions": {
            "child": f"Child words about {cid}.",
            "young_person": f"Young person words about {cid}.",
            "parent": f"Parent words about {cid}.",
        },
        "key_facts": [{"text": "A national fact.", "scope": "national", "source": "act"}],
        "sources": ["act"],
        "related": related,
    }
    if local:
        card["local"] = local
        card["silent_note_topic"] = "how the widget works"
    return card


LOCAL_A = {
    "council_a": {
        "child": "Aville says the widget is blue.",
        "young_person": "Aville's strategy says the widget is blue.",
        "parent": "Aville's strategy describes the widget as blue.",
        "sources": ["doc_a"],
    }
}


def write_content(root: Path, cards: list[dict], sources: dict | None = None) -> Path:
    (root / "cards").mkdir(parents=True)
    (root / "councils").mkdir()
    (root / "sources.yml").write_text(yaml.safe_dump(sources or SOURCES))
    (root / "councils" / "council_a.yml").write_text(yaml.safe_dump(_council("council_a", "Aville", "doc_a")))
    (root / "councils" / "council_b.yml").write_text(yaml.safe_dump(_council("council_b", "Beeton", "doc_b")))
    (root / "councils" / "north_yorkshire.yml").write_text(
        yaml.safe_dump(_council("north_yorkshire", "North Yorkshire", "doc_a") | {"documents": []})
    )
    for card in cards:
        (root / "cards" / f"{card['id']}.yml").write_text(yaml.safe_dump(card))
    return root


def good_cards() -> list[dict]:
    return [
        _card("widget", ["widget", "widgit thing"], ["gadget"], local=copy.deepcopy(LOCAL_A)),
        _card("gadget", ["gadget", "gizmo"], ["widget"]),
    ]


def test_fixture_library_is_clean(tmp_path):
    lib = load_library(write_content(tmp_path, good_cards()))
    assert check_library(lib) == []


def test_council_without_local_text_gets_the_silent_sentence(tmp_path):
    lib = load_library(write_content(tmp_path, good_cards()))
    own = lib.render("widget", "young_person", "council_a")
    other = lib.render("widget", "young_person", "council_b")
    assert "blue" in own.text and not own.council_silent
    assert "blue" not in other.text and other.council_silent
    assert "Beeton" in other.text and "how the widget works" in other.text
    assert "Council A Strategy" in own.source_line and "Council A" not in other.source_line
    child = lib.render("widget", "child", "council_b").text
    assert "IRO" in child and "social worker" in child


def test_card_without_any_local_text_never_mentions_councils(tmp_path):
    lib = load_library(write_content(tmp_path, good_cards()))
    answer = lib.render("gadget", "parent", "council_b")
    assert answer.text == "Parent words about gadget."
    assert not answer.council_silent
    assert answer.source_line == "Source: Test Act 1989, s1"


def _problems_after(tmp_path: Path, mutate) -> list[str]:
    cards = good_cards()
    sources = copy.deepcopy(SOURCES)
    mutate(cards, sources)
    return check_library(load_library(write_content(tmp_path, cards, sources)))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c, s: c[0]["versions"].pop("child"), "missing the 'child' version"),
        (lambda c, s: c[0].pop("title"), "missing field 'title'"),
        (lambda c, s: c[0].__setitem__("sources", []), "missing field 'sources'"),
        (lambda c, s: c[0]["sources"].append("nowhere"), "unknown source 'nowhere'"),
        (lambda c, s: c[0].__setitem__("related", ["ghost"]), "related card 'ghost' does not exist"),
        (lambda c, s: c[1]["aliases"].append("Widgets"), "alias 'widget' is also used by"),
        (lambda c, s: c[0]["local"].__setitem__("council_z", LOCAL_A["council_a"]), "unknown council 'council_z'"),
        (lambda c, s: c[0]["local"]["council_a"].__setitem__("sources", ["doc_b"]), "another council's document"),
        (lambda c, s: c[0]["local"]["council_a"].pop("parent"), "local.council_a is missing the 'parent' version"),
        (lambda c, s: c[0]["key_facts"].append({"text": "x", "scope": "national", "source": "doc_a"}),
         "national fact cites a council document"),
        (lambda c, s: c[0]["key_facts"].append({"text": "x", "scope": "council_q", "source": "act"}),
         "scope 'council_q'"),
        (lambda c, s: c[0]["versions"].__setitem__("parent", "Ring 0114 496 0999 now."), "phone-like number"),
        (lambda c, s: c[0].__setitem__("kind", "recipe"), "kind 'recipe'"),
        (lambda c, s: s.__setitem__("doc_c", {"title": "C", "council": "council_c", "detail": None}),
         "unknown council 'council_c'"),
    ],
)
def test_check_library_finds_each_kind_of_problem(tmp_path, mutate, expected):
    problems = _problems_after(tmp_path, mutate)
    assert any(expected in p for p in problems), problems


def test_helpline_numbers_are_allowed(tmp_path):
    problems = _problems_after(
        tmp_path, lambda c, s: c[0]["versions"].__setitem__("parent", "Call Childline on 0800 1111.")
    )
    assert problems == []


def test_card_id_must_match_file_name_and_strict_loader_raises(tmp_path):
    root = write_content(tmp_path, good_cards())
    (root / "cards" / "gadget.yml").rename(root / "cards" / "gizmo_card.yml")
    assert any("does not match the file name" in p for p in check_library(load_library(root)))
    with pytest.raises(ContentError):
        load_checked_library(root)


# ---- lookup ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "SGO",
        "s.g.o.",
        "S.G.O.s",
        "Special Guardianship Orders",
        "special gaurdianship",
        "spesh guardianship",
        "what is an sgo?",
        "my nan wants to be my special guardien",
        "Special guardianship order",
    ],
)
def test_card_for_term_forgives_how_people_type(library, text):
    card = library.card_for_term(text)
    assert card is not None and card.id == "special_guardianship_order"


@pytest.mark.parametrize("text", ["go", "banana", "", "?!", "hello there"])
def test_card_for_term_does_not_guess_wildly(library, text):
    assert library.card_for_term(text) is None


def test_normalise_term():
    assert normalise_term("S.G.O.'s") == normalise_term("sgo")
    assert normalise_term("Looked-After Reviews") == "looked after review"


def test_term_patterns_cover_every_alias(library):
    from bot.knowledge.terms import alias_tokens

    patterns = library.term_patterns()
    assert all(p["label"] == "term" for p in patterns)
    by_card: dict[str, set[tuple[str, ...]]] = {}
    for p in patterns:
        assert all(set(tok) == {"LOWER"} for tok in p["pattern"])
        by_card.setdefault(p["id"], set()).add(tuple(tok["LOWER"] for tok in p["pattern"]))
    for card in library.cards.values():
        for alias in card.aliases:
            assert tuple(alias_tokens(alias)) in by_card[card.id]
    assert ("sgo",) in by_card["special_guardianship_order"]
    assert ("special", "guardianship", "orders") in by_card["special_guardianship_order"]


def test_search_suggests_the_relevant_card_first(library):
    assert library.search("when is my next review meeting")[0].id == "cic_review"
    assert library.search("special guardian")[0].id == "special_guardianship_order"
    assert library.search("the of and") == []
    assert len(library.search("care", limit=2)) <= 2


# ---- readability -------------------------------------------------------------------------------
@pytest.fixture
def fk_grade():
    """Flesch-Kincaid grade from textstat (pinned to 0.7.3, which counts syllables offline with pyphen)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # textstat 0.7.3 imports pkg_resources
        import textstat
    return textstat.flesch_kincaid_grade


def test_child_versions_are_easy_to_read(library, fk_grade):
    too_hard = {}
    for card in library.cards.values():
        texts = {"child": card.versions["child"]}
        texts.update({f"local.{c}.child": l.versions["child"] for c, l in card.local.items()})
        for label, text in texts.items():
            grade = fk_grade(text)
            if grade > 6:
                too_hard[f"{card.id} {label}"] = grade
    assert too_hard == {}


def test_readability_check_can_fail(fk_grade):
    assert fk_grade("Notwithstanding the aforementioned statutory considerations, the authority's determination necessitates comprehensive interdisciplinary consultation.") > 6


def test_child_versions_explain_acronyms(library):
    for card in library.cards.values():
        text = card.versions["child"]
        for acronym in set(re.findall(r"\b[A-Z]{2,}\b", text)):
            assert re.search(rf"{acronym} (stands for|means|is short for)|\({acronym}\)", text) or re.search(
                rf"{acronym} \(", text
            ), f"{card.id}: child version uses {acronym} without explaining it"


def test_alias_tokens_split_like_spacy():
    from bot.knowledge.terms import alias_tokens

    assert alias_tokens("long-term fostering") == ["long", "-", "term", "fostering"]
    assert alias_tokens("child's plan") == ["child", "'s", "plan"]
    assert alias_tokens("section 20") == ["section", "20"]
