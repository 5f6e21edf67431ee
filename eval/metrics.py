"""Scoring maths: ranking metrics through ranx, and the few small measures ranx does not have."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Qrels = Mapping[str, Mapping[str, int]]  # query id -> document id -> graded relevance (> 0)
Ranking = Mapping[str, Sequence[str]]  # query id -> document ids, best first


def ranx_metric(name: str) -> str:
    """Our metric names (hit@k, recall@k, mrr@k, ndcg@k) in ranx's spelling."""
    base, _, k = name.partition("@")
    ranx_base = {"hit": "hit_rate", "recall": "recall", "mrr": "mrr", "ndcg": "ndcg"}.get(base)
    if ranx_base is None or not k.isdigit():
        raise ValueError(f"unknown metric '{name}'; use hit@k, recall@k, mrr@k or ndcg@k")
    return f"{ranx_base}@{k}"


def evaluate(qrels: Qrels, ranking: Ranking, metrics: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per-query scores, metric -> query id -> value, computed by ranx.

    nDCG uses linear gain (Järvelin & Kekäläinen), as pytrec_eval and BEIR do. Queries of `qrels`
    missing from `ranking` score 0; queries without judgements are ignored. The ranking order is
    kept exactly: ranx sorts by score, so each document gets a score that falls with its rank.
    """
    from ranx import Qrels as RanxQrels
    from ranx import Run
    from ranx import evaluate as ranx_evaluate

    ranked = {q: list(dict.fromkeys(ids)) for q, ids in ranking.items() if q in qrels and ids}
    if not ranked:  # ranx cannot hold a run without a single document
        return {m: dict.fromkeys(qrels, 0.0) for m in metrics}
    run = Run({q: {d: float(len(ids) - i) for i, d in enumerate(ids)} for q, ids in ranked.items()})
    judged = RanxQrels({q: dict(docs) for q, docs in qrels.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's uint64 cast notice, raised on every call
        ranx_evaluate(judged, run, [ranx_metric(m) for m in metrics], make_comparable=True)
    return {m: {q: float(run.scores[ranx_metric(m)][q]) for q in qrels} for m in metrics}


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def leaderboard_ndcg(grades: Mapping[str, int], ranked: Sequence[str], k: int = 10) -> float:
    """nDCG@k whose ideal DCG is taken over the retrieved top k only, as agentset-ai/embedding-leaderboard
    computes it; it runs higher than standard nDCG, which takes the ideal over all judged documents."""
    gains = [grades.get(d, 0) for d in list(ranked)[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(gains, reverse=True)))
    return dcg / ideal if ideal else 0.0


def first_relevant_rank(ranked: Sequence[str], relevant: Iterable[str]) -> int | None:
    wanted = set(relevant)
    return next((i for i, d in enumerate(ranked, 1) if d in wanted), None)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by numpy's linear interpolation; None for no values."""
    return float(np.percentile(values, q)) if len(values) else None


@dataclass(frozen=True)
class Abstention:
    """Abstention as a detector of unanswerable questions: the positive class is 'should abstain'."""

    true_positive: int  # unanswerable, abstained
    false_positive: int  # answerable, abstained
    false_negative: int  # unanswerable, answered
    true_negative: int  # answerable, answered

    @classmethod
    def count(cls, pairs: Iterable[tuple[bool, bool]]) -> Abstention:
        """From (should abstain, did abstain) pairs."""
        tp = fp = fn = tn = 0
        for should, did in pairs:
            if should and did:
                tp += 1
            elif did:
                fp += 1
            elif should:
                fn += 1
            else:
                tn += 1
        return cls(tp, fp, fn, tn)

    @property
    def precision(self) -> float | None:
        """Of the abstentions, the share that were right; None when it never abstained."""
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        """Of the unanswerable questions, the share it abstained on; None when there were none."""
        positives = self.true_positive + self.false_negative
        return self.true_positive / positives if positives else None
