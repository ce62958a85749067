"""Store and read back one trained object in Rasa's model archive.

Why one module: the meaning blend, the card search and the safeguarding check each keep a single
fitted object (a classifier or an index) in their resource folder; they write and read it the
same way, and a missing or unreadable artefact must leave the component running on DIET alone.
"""
from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any, Optional

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

logger = logging.getLogger(__name__)


def write_artefact(model_storage: Optional[ModelStorage], resource: Optional[Resource],
                   file_name: str, artefact: Any) -> None:
    """Pickle ``artefact`` into the component's resource (nothing to do outside `rasa train`)."""
    if model_storage is None or resource is None or artefact is None:
        return
    with model_storage.write_to(resource) as model_dir:
        with open(Path(model_dir) / file_name, "wb") as handle:
            pickle.dump(artefact, handle)


def read_artefact(model_storage: ModelStorage, resource: Resource, file_name: str,
                  missing_message: str) -> Optional[Any]:
    """The object ``write_artefact`` stored, or None with ``missing_message`` logged as an error."""
    try:
        with model_storage.read_from(resource) as model_dir:
            with open(Path(model_dir) / file_name, "rb") as handle:
                return pickle.load(handle)  # our own artefact, written at training time
    except (ValueError, OSError):
        logger.error(missing_message)
        return None
