"""The meaning blend: the sentence encoder, the classifier, the blend, and the Rasa component."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.engine.meaning import KEPT_INTENT, MeaningClassifier, blend

ROOT = Path(__file__).resolve().parents[2]
ENCODER_DIR = ROOT / "build" / "encoder"


# --- the blend (pure) ------------------------------------------------------------------------
def test_blend_keeps_diets_safeguarding_confidence_exactly():
    diet = {"ask_adoption_order": 0.2, KEPT_INTENT: 0.7, "greet": 0.1}
    meaning = {"ask_adoption_order": 0.9, "greet": 0.1}
    ranked = dict(blend(diet, meaning, 0.6))
    assert ranked[KEPT_INTENT] == pytest.approx(0.7)
    # the others share the 0.3 left: 0.3 * 0.6 * 0.9 + 0.4 * 0.2
    assert ranked["ask_adoption_order"] == pytest.approx(0.3 * 0.6 * 0.9 + 0.4 * 0.2)
    assert sum(ranked.values()) == pytest.approx(1.0)


def test_blend_lets_meaning_overturn_a_wrong_diet_guess():
    diet = {"ask_placement_order": 0.55, "ask_adoption_order": 0.35}
    meaning = {"ask_adoption_order": 0.8, "ask_placement_order": 0.1, "greet": 0.1}
    assert blend(diet, meaning, 0.6)[0][0] == "ask_adoption_order"
    assert blend(diet, meaning, 0.0)[0][0] == "ask_placement_order"  # weight 0 is DIET alone


def test_blend_refuses_a_weight_outside_zero_to_one():
    with pytest.raises(ValueError):
        blend({"a": 1.0}, {"a": 1.0}, 1.5)


def test_classifier_learns_and_refuses_a_single_intent():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1, 0.1, (10, 4)), rng.normal(-1, 0.1, (10, 4))])
    y = ["up"] * 10 + ["down"] * 10
    clf = MeaningClassifier().fit(x, y)
    probs = clf.probabilities(np.ones(4))
    assert max(probs, key=probs.get) == "up" and sum(probs.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        MeaningClassifier().fit(x, ["up"] * 20)


# --- the encoder on the real weights (fetched by `make pipeline`) ----------------------------
@pytest.fixture(scope="module")
def encoder():
    from bot.engine.sentence_encoder import SentenceEncoder

    if not (ENCODER_DIR / "model.safetensors").exists():
        pytest.fail("build/encoder is missing: run `make pipeline`")
    return SentenceEncoder(ENCODER_DIR)


def test_encoder_puts_a_description_nearer_its_meaning_than_an_everyday_question(encoder):
    named, described, everyday = encoder.encode([
        "what is an adoption order",
        "a judge is going to say i am their child for always",
        "how do i reset my phone",
    ])
    assert named.shape == (384,)
    assert np.linalg.norm(named) == pytest.approx(1.0, abs=1e-4)
    assert float(named @ described) > float(named @ everyday) + 0.1


def test_encoder_gives_the_same_row_alone_and_in_a_batch_of_other_lengths(encoder):
    alone = encoder.encode(["can i stay with my foster carers after 18"])[0]
    batched = encoder.encode(["hi", "can i stay with my foster carers after 18",
                              "a much longer message about a review meeting next month at school"])[1]
    assert np.allclose(alone, batched, atol=1e-5)


# --- the Rasa component ------------------------------------------------------------------------
class FakeEncoder:
    """Two directions: care words one way, everything else the other."""

    def encode(self, texts):
        return np.array([[1.0, 0.0] if "adopt" in t else [0.0, 1.0] for t in texts], dtype=np.float32)


def _training_data():
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    rows = [("ask_adoption_order", f"adopt question {i}") for i in range(6)]
    rows += [("greet", f"hello there {i}") for i in range(6)]
    rows += [(KEPT_INTENT, "adopt but also something bad"), ("greet", "/greet")]
    return TrainingData([Message(data={"text": t, "intent": i}) for i, t in rows])


def _message(text, ranking):
    from rasa.shared.nlu.training_data.message import Message

    return Message(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking})


@pytest.fixture()
def component(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from bot.engine.meaning_component import MeaningBlend

    storage = LocalModelStorage(tmp_path)
    resource = Resource("meaning")
    blend_component = MeaningBlend({}, storage, resource, encoder=FakeEncoder())
    blend_component.train(_training_data())
    return blend_component, storage, resource


def test_component_learns_every_typed_intent_but_safeguarding(component):
    trained, _, _ = component
    assert set(trained.classifier.intents) == {"ask_adoption_order", "greet"}


def test_component_overturns_diets_guess_and_keeps_safeguarding(component):
    trained, _, _ = component
    message = _message("can we adopt him", [{"name": "greet", "confidence": 0.5},
                                             {"name": "ask_adoption_order", "confidence": 0.3},
                                             {"name": KEPT_INTENT, "confidence": 0.2}])
    trained.process([message])
    assert message.get("intent")["name"] == "ask_adoption_order"
    ranking = {r["name"]: r["confidence"] for r in message.get("intent_ranking")}
    assert ranking[KEPT_INTENT] == pytest.approx(0.2)


def test_component_leaves_buttons_alone(component):
    trained, _, _ = component
    ranking = [{"name": "greet", "confidence": 1.0}]
    message = _message("/greet", ranking)
    trained.process([message])
    assert message.get("intent_ranking") == ranking


def test_component_blends_many_messages_in_one_call_as_it_would_one_by_one(component):
    trained, _, _ = component
    texts = ["can we adopt him", "hello there", "/greet", "adopt question please"]
    ranking = [{"name": "greet", "confidence": 0.6}, {"name": "ask_adoption_order", "confidence": 0.4}]
    together = [_message(t, ranking) for t in texts]
    trained.process(together)
    for text, batched in zip(texts, together):
        alone = _message(text, ranking)
        trained.process([alone])
        assert batched.get("intent_ranking") == alone.get("intent_ranking")
    assert together[2].get("intent_ranking") == ranking  # the button, untouched
    assert together[0].get("intent_ranking") != ranking  # a typed message, blended


def test_component_survives_persist_and_load_and_degrades_without_its_encoder(component, caplog):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from bot.engine.meaning_component import MeaningBlend

    trained, storage, resource = component
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = MeaningBlend.load({"encoder": "no/such/encoder"}, storage, resource, context)
    assert loaded.classifier.intents == trained.classifier.intents
    assert loaded.encoder is None and "sentence encoder not loaded" in caplog.text
    ranking = [{"name": "greet", "confidence": 0.9}, {"name": "ask_adoption_order", "confidence": 0.1}]
    message = _message("can we adopt him", ranking)
    loaded.process([message])
    assert message.get("intent_ranking") == ranking  # DIET's ranking, untouched


def test_component_sits_between_diet_and_the_fallback():
    names = [c["name"] for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]]
    blend_at = names.index("bot.engine.meaning_component.MeaningBlend")
    assert names.index("DIETClassifier") < blend_at < names.index("FallbackClassifier")


def test_component_logs_no_message_text(component, caplog):
    trained, _, _ = component
    caplog.set_level("DEBUG")
    trained.process([_message("my secret worry about adopt", [{"name": "greet", "confidence": 1.0}])])
    assert "secret" not in caplog.text
