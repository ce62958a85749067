"""Train the Rasa model only when its inputs changed.

The model's name carries a hash of everything that shapes it (config, domain, training
data, the spaCy pipeline on disk, engine-side components and the engine lock), so a second
``make run`` reuses the model in milliseconds, and changing the spaCy pipeline behind the
same path (which Rasa itself does not notice) does retrain. Standard library only.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT

MODEL_PREFIX = "carechat-"
#: Everything that shapes the trained model. Code that only reads a model (evaluation, the
#: server launcher) is left out, so changing it does not force a retrain.
HASH_INPUTS = ("config.yml", "domain.yml", "data", "build/spacy",
               "bot/engine/safeguarding_component.py", "bot/engine/safeguarding_classifier.py",
               "bot/engine/card_search.py", "bot/engine/card_search_component.py", "content/cards",
               "bot/safeguarding", "content/safeguarding/lexicon.yml", "content/safeguarding/training",
               "bot/engine/meaning.py", "bot/engine/meaning_component.py", "bot/engine/sentence_encoder.py",
               "requirements/encoder.lock", "requirements/engine.lock", "bot/engine/artefacts.py",
               "bot/knowledge/intents.py")


def _files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def inputs_hash(root: Path = PROJECT_ROOT) -> str:
    """Hash the relative paths and bytes of every training input."""
    digest = hashlib.sha256()
    for name in HASH_INPUTS:
        base = root / name
        if not base.exists():
            raise FileNotFoundError(f"training input missing: {name}")
        for file in _files_under(base):
            digest.update(str(file.relative_to(root)).encode())
            digest.update(b"\0")
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path = PROJECT_ROOT) -> Path:
    """Where the model for the current inputs lives (it may not exist yet)."""
    return root / "models" / f"{MODEL_PREFIX}{inputs_hash(root)}.tar.gz"


def ensure_model(root: Path = PROJECT_ROOT, engine_bin: Path | None = None) -> Path:
    """Return the model for the current inputs, training it first if it does not exist."""
    target = model_path(root)
    if target.exists():
        print(f"  model up to date: {target.relative_to(root)}")
        return target
    rasa = engine_bin or root / ".venv-engine" / "bin" / "rasa"
    print("  training the model (inputs changed; about 8 minutes on 2 cores)...", flush=True)
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    log_path = root / "var" / "logs" / "train.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        result = subprocess.run(
            [str(rasa), "train", "--fixed-model-name", target.name.removesuffix(".tar.gz"),
             "--out", str(target.parent)],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    if result.returncode != 0 or not target.exists():
        raise SystemExit(f"rasa train failed (exit {result.returncode}); see {log_path}")
    for old in target.parent.glob(f"{MODEL_PREFIX}*.tar.gz"):
        if old != target:
            old.unlink()
    print(f"  model trained: {target.relative_to(root)}")
    return target


if __name__ == "__main__":
    ensure_model()
    sys.exit(0)


def resolve_model(model: str | None) -> Path:
    """``--model``/``MODEL=`` when given, else the model for the current inputs (trained if missing)."""
    if model:
        path = Path(model).expanduser().resolve()
        if not path.exists():
            raise SystemExit(f"model not found: {path}")
        return path
    return ensure_model()
