"""One fingerprint of the files outside Rasa's training data that shape a trained component.

Why: Rasa retrains a component when its fingerprint changes; the safeguarding check and the
card search both read files Rasa does not know about (content/, their own modules).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def files_fingerprint(roots: Iterable[Path]) -> str:
    """SHA-256 over the names and bytes of every file under ``roots`` (a file or a folder each)."""
    digest = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
