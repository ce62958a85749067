"""One trained object kept in, and read back from, Rasa's model storage (bot.engine.artefacts)."""
from __future__ import annotations

import logging

from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from bot.engine.artefacts import read_artefact, write_artefact


def test_what_is_written_is_read_back(tmp_path):
    storage, resource = LocalModelStorage(tmp_path), Resource("component")
    write_artefact(storage, resource, "thing.pkl", {"weights": [1, 2, 3]})
    assert read_artefact(storage, resource, "thing.pkl", "missing") == {"weights": [1, 2, 3]}


def test_a_missing_artefact_is_none_with_the_error_logged(tmp_path, caplog):
    storage = LocalModelStorage(tmp_path)
    with caplog.at_level(logging.ERROR):
        assert read_artefact(storage, Resource("never_trained"), "thing.pkl", "thing missing; DIET only") is None
    assert "thing missing; DIET only" in caplog.text


def test_nothing_is_written_without_storage_or_an_artefact(tmp_path):
    storage, resource = LocalModelStorage(tmp_path), Resource("component")
    write_artefact(None, resource, "thing.pkl", {"a": 1})
    write_artefact(storage, None, "thing.pkl", {"a": 1})
    write_artefact(storage, resource, "thing.pkl", None)
    assert read_artefact(storage, resource, "thing.pkl", "missing") is None
