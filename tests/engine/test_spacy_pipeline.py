"""The offline spaCy pipeline: lemmas for the featurizer, care terms as entities."""
import json
from pathlib import Path

import pytest
import spacy

from bot.engine.spacy_pipeline import build_pipeline, main

PATTERNS = [
    {"label": "term", "id": "special_guardianship_order", "pattern": [{"LOWER": "sgo"}]},
    {"label": "term", "id": "special_guardianship_order",
     "pattern": [{"LOWER": "special"}, {"LOWER": "guardianship"}, {"LOWER": "order"}]},
    {"label": "term", "id": "care_order", "pattern": [{"LOWER": "care"}, {"LOWER": "order"}]},
]
ROOT = Path(__file__).resolve().parents[2]


def test_terms_are_entities_with_card_ids():
    nlp = build_pipeline(PATTERNS)
    doc = nlp("whats the difference between an SGO and a care order")
    assert [(ent.text.lower(), ent.label_, ent.ent_id_) for ent in doc.ents] == [
        ("sgo", "term", "special_guardianship_order"), ("care order", "term", "care_order")]


def test_lookup_lemmatizer_normalises_word_forms():
    nlp = build_pipeline(PATTERNS)
    assert [t.lemma_ for t in nlp("reviews children went")] == ["review", "child", "go"]


def test_ordinary_text_has_no_entities():
    assert build_pipeline(PATTERNS)("can i see my mum at the weekend").ents == ()


def test_cli_writes_a_loadable_pipeline(tmp_path):
    patterns = tmp_path / "p.jsonl"
    patterns.write_text("".join(json.dumps(p) + "\n" for p in PATTERNS))
    assert main([str(patterns), str(tmp_path / "out")]) == 0
    nlp = spacy.load(tmp_path / "out")
    assert [e.label_ for e in nlp("sgo").ents] == ["term"]


def _project_pipeline():
    built = ROOT / "build" / "spacy" / "en_carechat"
    if not built.exists():
        pytest.fail("build/spacy/en_carechat is missing: run `make pipeline` (make test does)")
    return spacy.load(built)


def test_project_pipeline_knows_the_orders_as_people_type_them():
    nlp = _project_pipeline()
    for text in ("what is an sgo", "wot is a special gaurdianship order", "what happens at a cic review"):
        assert any(e.label_ == "term" for e in nlp(text.lower()).ents), text


def test_project_pipeline_recognises_every_alias_of_every_card():
    nlp = _project_pipeline()
    lines = (ROOT / "build" / "term_patterns.jsonl").read_text().splitlines()
    patterns = [json.loads(line) for line in lines if line.strip()]
    assert patterns, "no term patterns were generated from content/cards"
    missed = []
    for pattern in patterns:
        text = " ".join(token["LOWER"] for token in pattern["pattern"])
        ids = {ent.ent_id_ for ent in nlp(f"what is {text}").ents}
        if pattern["id"] not in ids:
            missed.append((pattern["id"], text))
    assert missed == []
