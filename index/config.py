"""The engine's settings: the retrieval mode and the constants of retrieval, evidence and abstention."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Self


class Choice(enum.StrEnum):
    """An enumerated setting whose parse error lists the valid values."""

    @classmethod
    def parse(cls, value: str) -> Self:
        try:
            return cls(value.lower())
        except ValueError:
            kind = re.sub(r"(?<!^)(?=[A-Z])", " ", cls.__name__).lower()  # IndexType -> "index type"
            raise ValueError(f"unknown {kind} '{value}'; choose one of: {', '.join(m.value for m in cls)}") from None


class Mode(Choice):
    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


FUSIONS = ("convex", "rrf")


@dataclass(frozen=True)
class EngineConfig:
    """Constants of retrieval; the values are chosen on the development questions (see README, Tuning)."""

    # Fusion of the dense and lexical rankings: "convex" (normalised scores, weighted; see retrieval.convex)
    # or "rrf" (reciprocal rank fusion, Cormack, Clarke & Büttcher, SIGIR 2009: sum of w / (rrf_k + rank)).
    fusion: str = "convex"
    dense_share: float = 0.7
    rrf_k: int = 10
    dense_weight: float = 1.5
    lexical_weight: float = 1.0
    candidates: int = 50
    # BM25 weights (FTS5 bm25()) of the lexical index's columns: the passage's own text, its heading or lead-in
    # context, and its document's title (shared by all its passages), in that order; each a number >= 0.
    # Kept by the grid (eval.tune, text 1.0, context 0.2-1.0 x title 0.0-0.6, hybrid): pooled dev 0.828 here,
    # 0.825-0.832 over all 35 settings, where no collection's dev MRR@10 gains more than one question could move it
    # (0.022 at most, one question of 30 is up to 0.033); held out 0.781 here, 0.769-0.792. MS MARCO passages have no
    # title or context, so its figure does not move. See README, Tuning.
    bm25_text: float = 1.0
    bm25_context: float = 0.4
    bm25_title: float = 0.3
    # The first this many fused candidates are put in the order of the fitted re-ranker (index/rerank.py) in hybrid
    # mode; 0 keeps the fused order. 10 by the grid 0/5/10/20 (eval.tune): pooled dev 0.809 / 0.818 / 0.825 / 0.824,
    # every gold dev figure the same at 10 and 20, MS MARCO dev nDCG@10 0.795 against 0.789 at 20.
    rerank_depth: int = 10
    # The dense score of a passage is the better of its own cosine and that of its best sentence
    # (sentence vectors come from the build's single forward pass): a one-sentence answer inside a
    # long passage is not diluted by the rest. 0 uses the passage cosine alone.
    sentence_weight: float = 1.0
    # Maximal marginal relevance (Carbonell & Goldstein, 1998); 1.0 keeps the fused order so that
    # scores fall with rank. Bullets of one list resemble each other, so list questions keep it too.
    mmr_lambda: float = 1.0
    list_mmr_lambda: float = 1.0
    # Build-time dedup removes near duplicates (Jaccard >= 0.8); this catches what is left that is
    # all but identical in meaning, without folding distinct documents that merely share a topic.
    near_identical: float = 0.98
    # Highlight: query–sentence cosine and idf-weighted term overlap.
    highlight_dense_weight: float = 0.75
    # Relevance of a result, which picks the sentences of an answer: w * cosine + (1 - w) * term coverage, the
    # cosine being the passage's or its best sentence's. Whether to answer at all is index/abstention.py's call.
    confidence_dense_weight: float = 0.7
    # Answers: supporting sentences come from results whose relevance is close to the best one's.
    answer_margin: float = 0.12
    max_answer_sentences: int = 3
    # An answer quotes a result's highlight with the sentence beside it that scores within this of it (and the
    # sentence a highlight refers back to); a negative margin quotes the highlight alone. `answer_windows`: how
    # many of the answer's results are quoted so.
    window_margin: float = 0.1
    answer_windows: int = 1
    ef_search: int = 64
    nprobe: int = 16

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion '{self.fusion}'; choose one of: {', '.join(FUSIONS)}")
        for name in ("bm25_text", "bm25_context", "bm25_title"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"the engine constant {name} takes a number of 0 or more, not '{value}'")

    @property
    def bm25_weights(self) -> tuple[float, float, float]:
        """The BM25 column weights in the lexical index's column order (text, context, title)."""
        return (self.bm25_text, self.bm25_context, self.bm25_title)

    def with_overrides(self, values: Mapping[str, object]) -> EngineConfig:
        """This configuration with some constants replaced; a string is converted to the constant's type.

        An unknown name or a value of the wrong kind raises ValueError with one sentence."""
        known = {f.name: type(getattr(self, f.name)) for f in fields(self)}
        changes: dict[str, object] = {}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"'{name}' is not an engine constant; choose one of: {', '.join(known)}")
            kind = known[name]
            try:
                changes[name] = kind(value.strip()) if isinstance(value, str) else kind(value)  # type: ignore[call-arg]
            except (TypeError, ValueError):
                wanted = {int: "a whole number", float: "a number"}.get(kind, f"a {kind.__name__}")
                raise ValueError(f"the engine constant {name} takes {wanted}, not '{value}'") from None
        return replace(self, **changes) if changes else self
