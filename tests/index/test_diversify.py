"""The vectorised MMR picks exactly what the original scan over candidates picked."""

from __future__ import annotations

import numpy as np
import pytest

from index.config import EngineConfig
from index.retrieval import Hit, diversify


def reference(hits: list[Hit], vectors: np.ndarray, k: int, lam: float, near_identical: float) -> list[int]:
    """The first implementation: a scan over the remaining candidates for every slot."""
    if not hits:
        return []
    top = hits[0].score or 1.0
    relevance = np.array([h.score / top for h in hits])
    similarity = vectors @ vectors.T
    chosen: list[int] = []
    remaining = list(range(len(hits)))
    while remaining and len(chosen) < k:
        best, best_score = None, -np.inf
        for i in remaining:
            redundancy = max((similarity[i, j] for j in chosen), default=0.0)
            if redundancy >= near_identical:
                continue
            score = lam * relevance[i] - (1 - lam) * redundancy
            if score > best_score:
                best, best_score = i, score
        if best is None:
            break
        chosen.append(best)
        remaining.remove(best)
    return chosen


@pytest.mark.parametrize("seed", range(40))
def test_same_choices_as_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    vectors = rng.standard_normal((n, 16)).astype(np.float32)
    if n > 4:  # near-identical copies and exact duplicates, as dedup leaves them across documents
        vectors[1] = vectors[0] + 0.01 * rng.standard_normal(16).astype(np.float32)
        vectors[3] = vectors[2]
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    scores = np.sort(rng.choice([0.5, 0.25, 0.125], size=n) if seed % 3 == 0 else rng.random(n))[::-1]  # ties too
    hits = [Hit(i, float(s)) for i, s in enumerate(scores)]
    config = EngineConfig()
    for lam in (1.0, config.list_mmr_lambda, 0.0):
        for k in (1, 5, 50):
            expected = reference(hits, vectors, k, lam, config.near_identical)
            assert diversify(hits, vectors, k, lam, config.near_identical) == expected


def test_a_lead_in_and_its_own_bullet_are_not_near_duplicates() -> None:
    # A short bullet is embedded with its lead-in as context, so the two vectors are all but the same; both stay,
    # while a near-identical passage that is no bullet of the lead-in is still dropped.
    lead = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    bullet = np.array([0.995, 0.0998, 0.0], dtype=np.float32)
    copy = np.array([0.995, 0.0, 0.0998], dtype=np.float32)
    other = np.array([0.0, 0.0, 1.0], dtype=np.float32)
    vectors = np.stack([bullet, lead, copy, other])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    hits = [Hit(11, 1.0), Hit(10, 0.9), Hit(30, 0.8), Hit(40, 0.7)]
    near = EngineConfig().near_identical
    assert diversify(hits, vectors, 4, 1.0, near) == [0, 3]
    assert diversify(hits, vectors, 4, 1.0, near, {10: [11, 12]}) == [0, 1, 3]
