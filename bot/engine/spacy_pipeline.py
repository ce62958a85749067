"""Build CareChat's offline spaCy pipeline: blank English + lookup lemmatizer + term ruler.

No English spaCy model for spaCy 3.4 can be installed here, so we build our own: a blank
English tokenizer, the lookup lemmatizer (tables from spacy-lookups-data, needed only at
build time) and an EntityRuler that tags the orders and key terms in every spelling our
content knows. Rasa's SpacyNLP loads the result from disk; SpacyEntityExtractor then
reads the ruler's entities, so "what is an sgo" and "sgo vs adoption" work for every order.

Usage (engine environment): python -m bot.engine.spacy_pipeline PATTERNS.jsonl OUT_DIR
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Iterable

import spacy

PIPELINE_NAME = "en_carechat"


def read_patterns(path: Path) -> list[dict]:
    """Read EntityRuler patterns, one JSON object per line."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def build_pipeline(patterns: Iterable[dict]) -> "spacy.language.Language":
    """Return the initialised pipeline; deterministic for the same patterns."""
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True})
    nlp.initialize()
    ruler.add_patterns(sorted(patterns, key=lambda p: json.dumps(p, sort_keys=True)))
    nlp.meta["name"] = PIPELINE_NAME.removeprefix("en_")
    nlp.meta["version"] = "1.0.0"
    nlp.meta["description"] = "CareChat: blank English, lookup lemmatizer, care-term entity ruler"
    return nlp


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    patterns_path, out_dir = Path(argv[0]), Path(argv[1])
    nlp = build_pipeline(read_patterns(patterns_path))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    nlp.to_disk(tmp)
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    print(f"  spaCy pipeline built: {out_dir} ({len(nlp.get_pipe('entity_ruler').patterns)} term patterns)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
