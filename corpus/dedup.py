"""Exact and near-duplicate detection over blocks of text; the first occurrence is kept.

Exact duplicates share a normalised form. Near duplicates are found with MinHash LSH over word
3-shingles and confirmed on the true shingle sets: Jaccard >= 0.8, or a later block whose shingles
are almost all inside an earlier one (a copy with a fused prefix or suffix).

The MinHash signatures and LSH bands are computed in batches with numpy (a hundred thousand blocks
in a few seconds); a shingle is a 64-bit hash of its words, so the sets compare as sorted arrays.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from corpus.model import normalise

_WORD = re.compile(r"\w+")
# Fixed seeds: the same block gets the same signature in every build.
_RNG = np.random.Generator(np.random.PCG64(20240917))
_WORD_MIX = _RNG.integers(1, 2**63, size=16, dtype=np.uint64) | np.uint64(1)  # odd multipliers per shingle slot
_MAX_PERM = 1024
_PERM_A = _RNG.integers(1, 2**63, size=_MAX_PERM, dtype=np.uint64) | np.uint64(1)
_PERM_B = _RNG.integers(0, 2**63, size=_MAX_PERM, dtype=np.uint64)
_BAND_MIX = _RNG.integers(1, 2**63, size=_MAX_PERM, dtype=np.uint64) | np.uint64(1)
# Shingles hashed per numpy batch: bounds the (permutations x shingles) matrix to ~30 MB.
_BATCH_ROWS = 60_000


@dataclass(frozen=True, slots=True)
class DedupResult:
    """`duplicate_of[i]` is the index of the kept block that block i repeats, or absent when kept."""

    duplicate_of: dict[int, int]
    exact: frozenset[int]

    def count(self, since: int = 0) -> tuple[int, int]:
        """(exact, near) duplicates among blocks from index `since` on."""
        exact = sum(1 for i in self.exact if i >= since)
        return exact, sum(1 for i in self.duplicate_of if i >= since) - exact


@dataclass(frozen=True)
class DedupConfig:
    jaccard: float = 0.8
    containment: float = 0.85
    # LSH only proposes candidates; it is set below the thresholds so that containment pairs surface.
    lsh_threshold: float = 0.5
    num_perm: int = 64
    shingle: int = 3
    # Blocks shorter than this many words are compared exactly only: near-matching them is noise.
    min_words: int = 6

    def __post_init__(self) -> None:
        if not 1 <= self.num_perm <= _MAX_PERM:
            raise ValueError(f"num_perm must be between 1 and {_MAX_PERM}, not {self.num_perm}")
        if not 1 <= self.shingle <= len(_WORD_MIX):
            raise ValueError(f"shingle must be between 1 and {len(_WORD_MIX)} words, not {self.shingle}")


def shingles(normalised: str, size: int = 3) -> frozenset[str]:
    """The word `size`-grams of a normalised text: the sets that Jaccard and containment compare."""
    words = _WORD.findall(normalised)
    if len(words) <= size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def deduplicate(texts: Sequence[str], config: DedupConfig = DedupConfig()) -> DedupResult:
    """Mark every block that repeats an earlier one, exactly or nearly."""
    duplicate_of: dict[int, int] = {}
    first_seen: dict[str, int] = {}
    exact: set[int] = set()
    candidates: list[int] = []
    normalised = [normalise(t) for t in texts]
    for i, norm in enumerate(normalised):
        if norm in first_seen:
            duplicate_of[i] = first_seen[norm]
            exact.add(i)
        else:
            first_seen[norm] = i
            if norm.count(" ") + 1 >= config.min_words:  # normalised: one space between words
                candidates.append(i)

    if not candidates:
        return DedupResult(_resolve(duplicate_of), frozenset(exact))
    sets = _Shingles([normalised[i] for i in candidates], config.shingle)
    bands, rows = optimal_bands(config.lsh_threshold, config.num_perm)
    # Only band keys that two or more blocks share can make a candidate pair; most blocks have none.
    keys = _band_keys(sets.minhash(bands * rows), bands, rows)
    shared = np.zeros(keys.shape, dtype=bool)
    for band in range(bands):
        _, inverse, counts = np.unique(keys[:, band], return_inverse=True, return_counts=True)
        shared[:, band] = counts[inverse.reshape(-1)] > 1
    buckets: list[dict[int, list[int]]] = [{} for _ in range(bands)]
    for k in np.flatnonzero(shared.any(axis=1)).tolist():
        mine = [(band, int(keys[k, band])) for band in np.flatnonzero(shared[k]).tolist()]
        found: set[int] = set()
        for band, key in mine:
            found.update(buckets[band].get(key, ()))
        original = next((j for j in sorted(found) if _near(sets.set(j), sets.set(k), config)), None)
        if original is not None:
            duplicate_of[candidates[k]] = candidates[original]
        elif sets.bounds[k + 1] > sets.bounds[k]:  # only kept blocks are indexed: a copy points at the one kept
            for band, key in mine:
                buckets[band].setdefault(key, []).append(k)
    return DedupResult(_resolve(duplicate_of), frozenset(exact))


def _resolve(duplicate_of: dict[int, int]) -> dict[int, int]:
    """An exact copy of a block that later proved a near duplicate points at the block finally kept."""
    for i, j in duplicate_of.items():
        while j in duplicate_of:
            j = duplicate_of[j]
        duplicate_of[i] = j
    return duplicate_of


def _near(earlier: np.ndarray, later: np.ndarray, config: DedupConfig) -> bool:
    """Jaccard of the two shingle sets, or containment of the later one in the earlier one."""
    if not len(earlier) or not len(later):
        return False
    at = np.searchsorted(earlier, later).clip(max=len(earlier) - 1)
    common = int(np.count_nonzero(earlier[at] == later))
    if not common:
        return False
    union = len(earlier) + len(later) - common
    return common / union >= config.jaccard or common / len(later) >= config.containment


class _WordHashes(dict[str, int]):
    """word -> 64-bit hash, computed once per distinct word."""

    def __missing__(self, word: str) -> int:
        value = self[word] = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
        return value


class _Shingles:
    """The shingles of many texts as one array of 64-bit hashes: text k's are `values[bounds[k]:bounds[k + 1]]`.

    A shingle's hash mixes its words' hashes with a multiplier per position, so "a b c" and "c b a"
    differ; a text holds the same shingles as `shingles` would give it (collisions aside, at odds of
    about 2**-64 a pair), repeats included until `set` is asked for.
    """

    def __init__(self, texts: Sequence[str], size: int) -> None:
        words = _WordHashes()
        # Each text's word hashes followed by size - 1 zeros, so that every window starting in a
        # text is whole, and a text shorter than `size` is one shingle of all its words.
        padded: list[int] = []
        pad = [0] * (size - 1)
        lengths = np.zeros(len(texts), dtype=np.int64)
        for k, text in enumerate(texts):
            found = _WORD.findall(text)
            lengths[k] = len(found)
            padded.extend(map(words.__getitem__, found))
            padded.extend(pad)
        hashed = np.array(padded, dtype=np.uint64)
        windows = len(hashed) - size + 1
        rolled = np.zeros(max(windows, 0), dtype=np.uint64)
        for slot in range(size):
            rolled += hashed[slot : slot + windows] * _WORD_MIX[slot]
        # Windows that start in a text and end inside it (or, for a short text, only its first).
        count = np.where(lengths >= size, lengths - size + 1, np.minimum(lengths, 1))
        starts = np.concatenate([[0], np.cumsum(lengths + size - 1)[:-1]]).astype(np.int64)
        edges = np.bincount(starts, minlength=windows + 1) - np.bincount(starts + count, minlength=windows + 1)
        self.values = rolled[np.cumsum(edges[:windows]) > 0]
        self.bounds = np.concatenate([[0], np.cumsum(count)]).astype(np.int64)
        self._sets: dict[int, np.ndarray] = {}

    def set(self, k: int) -> np.ndarray:
        """Text k's distinct shingles, sorted."""
        found = self._sets.get(k)
        if found is None:
            found = self._sets[k] = np.unique(self.values[self.bounds[k] : self.bounds[k + 1]])
        return found

    def minhash(self, perms: int) -> np.ndarray:
        """Row k: the minimum over text k's shingles of `perms` hash functions (multiply-add-shift)."""
        texts = len(self.bounds) - 1
        signatures = np.full((texts, perms), np.iinfo(np.uint32).max, dtype=np.uint32)
        keys = self.values >> np.uint64(32)  # the well-mixed high half of each shingle hash
        a, b = _PERM_A[:perms, None], _PERM_B[:perms, None]
        bounds = self.bounds
        k = 0
        while k < texts:
            end = max(int(np.searchsorted(bounds, bounds[k] + _BATCH_ROWS, side="right")) - 1, k + 1)
            rows = keys[bounds[k] : bounds[end]]
            nonempty = np.flatnonzero(bounds[k + 1 : end + 1] > bounds[k:end]) + k
            if len(rows):
                # Permutations by rows, shingles by columns: each text's shingles are contiguous for reduceat.
                hashed = ((a * rows + b) >> np.uint64(32)).astype(np.uint32)
                signatures[nonempty] = np.minimum.reduceat(hashed, bounds[nonempty] - bounds[k], axis=1).T
            k = end
        return signatures


def _band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One integer per LSH band per text: equal bands give equal keys."""
    wide = signatures.astype(np.uint64)
    keys = np.empty((len(signatures), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            part = wide[:, band * rows : (band + 1) * rows] * _BAND_MIX[:rows]
            keys[:, band] = part.sum(axis=1, dtype=np.uint64)
    return keys


@lru_cache(maxsize=32)
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) whose S-curve best separates Jaccard below and above `threshold`.

    Minimises the area of false positives below the threshold plus false negatives above it,
    weighted equally, as datasketch's MinHashLSH does (it gives (14, 4) for 0.5 and 64 too).
    """
    steps = 400
    below = (np.arange(steps) + 0.5) * threshold / steps
    above = threshold + (np.arange(steps) + 0.5) * (1 - threshold) / steps
    best, choice = math.inf, (1, num_perm)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            false_positive = (1 - (1 - below**rows) ** bands).mean() * threshold
            false_negative = ((1 - above**rows) ** bands).mean() * (1 - threshold)
            if false_positive + false_negative < best:
                best, choice = false_positive + false_negative, (bands, rows)
    return choice
