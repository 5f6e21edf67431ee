"""Fitting the abstention model (index/abstention.py) on the pooled development questions of every collection
with a gold set, validated leave-one-collection-out, and reporting ROC AUC and the operating point per
collection and split.

    python -m eval.abstention [--collections var/collections] [--index var/index] [--max-false 0.03] [--write]

`--write` saves the model fitted on every dev split to index/abstention.json (with its version and what it was
trained on); without it the figures are only printed.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from eval.gold import QuestionType, Split, load_gold
from eval.tune import Target, remembering, said, target_options, targets
from index.abstention import FEATURES, MODEL_VERSION, AbstentionModel
from index.config import Mode


@dataclass(frozen=True)
class Sample:
    collection: str
    split: Split
    answerable: bool
    features: tuple[float, ...]
    question_id: str
    supported: bool  # some result supplies what is asked: without it the engine abstains whatever the model says


def samples(target: Target) -> list[Sample]:
    """Every gold question of `target`, searched in hybrid mode as the service does, with its features."""
    out = []
    # The features are gathered without the model they train.
    with remembering(target.index_dir, abstention=AbstentionModel.permissive()) as base:
        for q in load_gold(target.gold):
            query = base.query(q.question, Mode.HYBRID, q.history if q.type is QuestionType.FOLLOWUP else ())
            outcome = base.search(query, 10)
            out.append(Sample(target.name, q.split, q.answerable, outcome.evidence, q.id, outcome.answerable))
    return out


def fit(train: Sequence[Sample]) -> tuple[StandardScaler, LogisticRegression]:
    x = np.array([s.features for s in train])
    y = np.array([s.answerable for s in train])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(scaler.transform(x), y)
    return scaler, model


def probabilities(scaler: StandardScaler, model: LogisticRegression, chosen: Sequence[Sample]) -> np.ndarray:
    if not chosen:
        return np.zeros(0)
    return model.predict_proba(scaler.transform(np.array([s.features for s in chosen])))[:, 1]


def operating_point(p: np.ndarray, answerable: np.ndarray, supported: np.ndarray, max_false: float) -> float:
    """The highest threshold whose false abstentions stay within `max_false` of the answerable questions,
    counting those the engine abstains on anyway because no result supports an answer."""
    allowed = int(np.floor(max_false * answerable.sum())) - int((answerable & ~supported).sum())
    ranked = np.sort(p[answerable & supported])
    if not len(ranked):
        return 0.5
    return float(ranked[allowed]) if allowed >= 0 else 0.0


def stored_threshold(threshold: float) -> float:
    """The operating point as saved, to 4 decimals and rounded down: it is the probability of the last answerable
    dev question the engine answers, and rounding it up would make that question abstain."""
    return math.floor(threshold * 10_000) / 10_000


def _auc(p: np.ndarray, answerable: np.ndarray) -> float | None:
    return float(roc_auc_score(answerable, p)) if 0 < answerable.sum() < len(answerable) else None


def report(rows: list[Sample], p: np.ndarray, threshold: float, label: str) -> None:
    print(f"\n{label} (answers at p >= {threshold:.3f})")
    print(f"{'collection':<18} {'split':<8} {'AUC':>6} {'abstained':>12} {'false':>10}")
    for name in dict.fromkeys(s.collection for s in rows):
        for split in Split:
            idx = [i for i, s in enumerate(rows) if s.collection == name and s.split is split]
            if not idx:
                continue
            answerable = np.array([rows[i].answerable for i in idx])
            probs = p[idx]
            auc = _auc(probs, answerable)
            unanswerable = (~answerable).sum()
            abstains = (probs < threshold) | ~np.array([rows[i].supported for i in idx])
            abstained = int((abstains & ~answerable).sum())
            false = int((abstains & answerable).sum())
            print(f"{name:<18} {split.value:<8} {auc if auc is not None else float('nan'):>6.3f} "
                  f"{abstained:>5} of {unanswerable:<4} {false:>3} of {answerable.sum():<4}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.abstention", description=__doc__.split("\n\n")[0])
    target_options(parser, beir=False)
    parser.add_argument("--max-false", type=float, default=0.03, help="false abstentions allowed on dev (default 0.03)")
    parser.add_argument("--write", action="store_true", help="save the model fitted on every dev split")
    args = parser.parse_args(argv)
    found = [t for t in targets(args.collections, None, Path("var/cache"), args.index) if t.gold is not None]
    rows = [s for t in found for s in samples(t)]
    dev = [s for s in rows if s.split is Split.DEV]
    names = list(dict.fromkeys(s.collection for s in rows))

    # Leave one collection out: each collection is scored by a model that never saw any of its questions.
    held = np.zeros(len(rows))
    for name in names if len(names) > 1 else ():
        scaler, model = fit([s for s in dev if s.collection != name])
        idx = [i for i, s in enumerate(rows) if s.collection == name]
        held[idx] = probabilities(scaler, model, [rows[i] for i in idx])
    dev_idx = [i for i, s in enumerate(rows) if s.split is Split.DEV]
    answerable = np.array([s.answerable for s in rows])
    supported = np.array([s.supported for s in rows])
    if len(names) > 1:
        loco_threshold = operating_point(held[dev_idx], answerable[dev_idx], supported[dev_idx], args.max_false)
        report(rows, held, loco_threshold, "Leave one collection out (each collection scored by a model fitted on the others' dev)")

    scaler, model = fit(dev)
    p = probabilities(scaler, model, rows)
    threshold = operating_point(p[dev_idx], answerable[dev_idx], supported[dev_idx], args.max_false)
    report(rows, p, threshold, "Fitted on every dev split")
    print("\nweights (standardised features): " + ", ".join(f"{f} {w:+.2f}" for f, w in zip(FEATURES, model.coef_[0], strict=True)))
    if args.write:
        fitted = AbstentionModel(
            MODEL_VERSION, FEATURES, tuple(scaler.mean_.tolist()), tuple(scaler.scale_.tolist()),
            tuple(model.coef_[0].tolist()), float(model.intercept_[0]),
            trained_on=f"dev splits of {', '.join(names)} ({len(dev)} questions); at most {args.max_false:.0%} false abstentions on dev",
            threshold=stored_threshold(threshold),
        )
        fitted.save()
        print("written to index/abstention.json")
    return 0


if __name__ == "__main__":
    sys.exit(said("python -m eval.abstention", main))
