"""Exact and near-duplicate detection over blocks of text; the first occurrence is kept.

Exact duplicates share a normalised form. Near duplicates are found with MinHash LSH over word
3-shingles (datasketch) and confirmed on the true shingle sets: Jaccard >= 0.8, or a later block
whose shingles are almost all inside an earlier one (a copy with a fused prefix or suffix).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.model import normalise

_WORD = re.compile(r"\w+")


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


def shingles(normalised: str, size: int = 3) -> frozenset[str]:
    words = _WORD.findall(normalised)
    if len(words) <= size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def _near(a: frozenset[str], later: frozenset[str], config: DedupConfig) -> bool:
    common = len(a & later)
    if not common:
        return False
    union = len(a) + len(later) - common
    return common / union >= config.jaccard or common / len(later) >= config.containment


def deduplicate(texts: Sequence[str], config: DedupConfig = DedupConfig()) -> DedupResult:
    """Mark every block that repeats an earlier one, exactly or nearly."""
    from datasketch import MinHash, MinHashLSH

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
            if len(norm.split()) >= config.min_words:
                candidates.append(i)

    sets = {i: shingles(normalised[i], config.shingle) for i in candidates}
    hashes = MinHash.bulk(
        [[s.encode("utf-8") for s in sets[i]] for i in candidates], num_perm=config.num_perm
    )
    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
    for i, signature in zip(candidates, hashes, strict=True):
        matches = sorted(int(key) for key in lsh.query(signature))
        original = next((j for j in matches if _near(sets[j], sets[i], config)), None)
        if original is not None:
            duplicate_of[i] = duplicate_of.get(original, original)
        else:
            lsh.insert(str(i), signature)
    # An exact copy of a block that later proved a near duplicate points at the block finally kept.
    for i, j in duplicate_of.items():
        while j in duplicate_of:
            j = duplicate_of[j]
        duplicate_of[i] = j
    return DedupResult(duplicate_of, frozenset(exact))
