"""Exact and near-duplicate detection over blocks of text; the first occurrence is kept.

Exact duplicates share a normalised form. Near duplicates are proposed by MinHash LSH over word
3-shingles (rensa, a Rust MinHash library: datasketch's per-set Python loop took about 25 s for the
50,000 blocks of the 10,000-document benchmark, rensa about 1 s) and confirmed on the true shingle
sets: Jaccard >= 0.8, or a later block whose shingles are almost all inside an earlier one (a copy
with a fused prefix or suffix).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rensa import RMinHash, RMinHashLSH

from corpus.model import normalise

_WORD = re.compile(r"\w+")
# A fixed seed: the same block gets the same signature in every build.
_SEED = 20240917


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
    # LSH only proposes candidates, so it is tuned for recall: 32 bands of 4 rows propose a pair at
    # Jaccard 0.6 with probability 0.99 (containment pairs surface there), at 0.3 with 0.23.
    num_perm: int = 128
    bands: int = 32
    shingle: int = 3
    # Blocks shorter than this many words are compared exactly only: near-matching them is noise.
    min_words: int = 6

    def __post_init__(self) -> None:
        if self.num_perm % self.bands:
            raise ValueError(f"num_perm ({self.num_perm}) must be a multiple of bands ({self.bands})")


def shingles(normalised: str, size: int = 3) -> frozenset[str]:
    """The word `size`-grams of a normalised text: the sets that Jaccard and containment compare."""
    words = _WORD.findall(normalised)
    if len(words) <= size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def _near(earlier: frozenset[str], later: frozenset[str], config: DedupConfig) -> bool:
    """Jaccard of the two shingle sets, or containment of the later one in the earlier one."""
    common = len(earlier & later)
    if not common:
        return False
    union = len(earlier) + len(later) - common
    return common / union >= config.jaccard or common / len(later) >= config.containment


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedup compares of one block: its normalised text, and for a block long enough to near-match, its
    shingle set and MinHash signature. Pure per block, so a cluster computes them in parallel."""

    normalised: str
    shingles: frozenset[str] | None = None
    signature: RMinHash | None = None


def fingerprint(text: str, config: DedupConfig = DedupConfig()) -> Fingerprint:
    norm = normalise(text)
    if norm.count(" ") + 1 < config.min_words:  # normalised: one space between words
        return Fingerprint(norm)
    mine = shingles(norm, config.shingle)
    signature = RMinHash(num_perm=config.num_perm, seed=_SEED)
    signature.update(list(mine))
    return Fingerprint(norm, mine, signature)


def deduplicate(texts: Sequence[str], config: DedupConfig = DedupConfig()) -> DedupResult:
    """Mark every block that repeats an earlier one, exactly or nearly."""
    return deduplicate_fingerprints([fingerprint(text, config) for text in texts], config)


def deduplicate_fingerprints(prints: Sequence[Fingerprint], config: DedupConfig = DedupConfig()) -> DedupResult:
    """Dedup over all blocks in reading order: exact copies by normalised text, near ones by LSH banding over
    every signature (one pass, so that copies are found across whatever computed the signatures)."""
    duplicate_of: dict[int, int] = {}
    first_seen: dict[str, int] = {}
    exact: set[int] = set()
    lsh = RMinHashLSH(threshold=0.5, num_perm=config.num_perm, num_bands=config.bands)
    sets: dict[int, frozenset[str]] = {}
    for i, found in enumerate(prints):
        norm = found.normalised
        if norm in first_seen:
            duplicate_of[i] = first_seen[norm]
            exact.add(i)
            continue
        first_seen[norm] = i
        if found.shingles is None or found.signature is None:
            continue
        mine, signature = found.shingles, found.signature
        original = next((j for j in sorted(lsh.query(signature)) if _near(sets[j], mine, config)), None)
        if original is not None:
            duplicate_of[i] = original
        else:
            # Only kept blocks are indexed, so a copy always points at the block kept.
            sets[i] = mine
            lsh.insert(i, signature)
    return DedupResult(_resolve(duplicate_of), frozenset(exact))


def _resolve(duplicate_of: dict[int, int]) -> dict[int, int]:
    """An exact copy of a block that later proved a near duplicate points at the block finally kept."""
    for i, j in duplicate_of.items():
        while j in duplicate_of:
            j = duplicate_of[j]
        duplicate_of[i] = j
    return duplicate_of
