"""docs/security.md is a promise: every row names tests, and every named test must exist.

Why: a row whose test was renamed or deleted still reads as protected. This fails then.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MATRIX = ROOT / "docs" / "security.md"
REFERENCE = re.compile(r"`((?:tests/[\w/]+\.py|test_\w+\.py)?)::(\w+)`")


def _rows() -> list[str]:
    lines = MATRIX.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.startswith("| ") and not line.startswith("| attack")]


def _find(file_name: str) -> Path:
    """A bare ``test_x.py`` means the file of that name under tests/."""
    if file_name.startswith("tests/"):
        return ROOT / file_name
    matches = list((ROOT / "tests").rglob(file_name))
    assert len(matches) == 1, f"{file_name}: {len(matches)} files of that name"
    return matches[0]


def test_the_matrix_has_at_least_25_rows_each_naming_a_test():
    rows = _rows()
    assert len(rows) >= 25
    for row in rows:
        assert REFERENCE.search(row), row


def test_every_named_test_exists():
    missing = []
    for row in _rows():
        current: Path | None = None
        for file_name, test_name in REFERENCE.findall(row):
            if file_name:
                current = _find(file_name)
            assert current is not None, f"no file before ::{test_name} in: {row[:60]}"
            source = current.read_text(encoding="utf-8")
            if not re.search(rf"^\s*(async\s+)?def {test_name}\(", source, re.MULTILINE):
                missing.append(f"{current.relative_to(ROOT)}::{test_name}")
    assert not missing, missing
