"""Abstention as a calibrated model: evidence features of a query's results, combined by a logistic regression
fitted on the pooled development questions of several collections (`python -m eval.abstention` fits it and
writes abstention.json beside this module). The engine answers only when the model's probability that the
results answer reaches the model's operating point."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import cast

import numpy as np

from corpus.model import normalise
from index.answertype import Wants
from index.config import Mode
from index.evidence import Result, coverage
from index.linear import LinearModel
from index.query import Query
from index.terms import stem, tokens

MODEL_FILE = Path(__file__).resolve().parent / "abstention.json"
MODEL_VERSION = 3

FEATURES = (
    "similarity",  # the best result's cosine (its own or its best sentence's)
    "sentence_cosine",  # the highlighted sentence's cosine with the query
    "coverage",  # idf-weighted share of the query's terms in the best result
    "sentence_coverage",  # ... in its highlighted sentence
    "supplies",  # the highlight holds the kind of fact asked for (always 1 when no kind is asked)
    "counts",  # the highlight gives the asked figure beside the thing counted or a rare term of the question
    "specific",  # the question asks for a figure, a date or a name
    "constraints",  # share of the numbers, years, names and identifiers the question gives that the best result holds
    "sentence_constraints",  # ... that its highlighted sentence holds, with the passage's title and context
    "margin",  # similarity of the best result minus the second's
    "agreement",  # share of the dense top 5 that the lexical top 5 also holds
)


@dataclass(frozen=True)
class Evidence:
    """The features of one query's results, in FEATURES order; None for a feature the mode cannot measure (no
    vector in lexical mode, no second ranking to agree with in a single-retriever mode)."""

    values: tuple[float | None, ...]

    def as_dict(self) -> dict[str, float]:
        return dict(zip(FEATURES, self.values, strict=True))


def _constraints(query: Query, result: Result, *, sentence: bool = False) -> float:
    """The share of the specifics the question gives (numbers, years, names, identifiers) that `result` holds: its
    passage, or with `sentence` only its highlighted sentence under the passage's title and context, where an
    asked fact about one of them would be stated ("In 2016 we moved" holds no "2012 batch")."""
    asked = query.asked
    wanted = [*asked.numbers, *asked.years, *asked.names]
    if not wanted:
        return 1.0
    passage = result.passage
    if sentence:
        body = result.highlight.text if result.highlight is not None else ""
    else:
        body = passage.text
    text = normalise(f"{passage.title} {passage.context or ''} {body}")
    return sum(normalise(w) in text for w in wanted) / len(wanted)


def _anchors(query: Query) -> frozenset[str]:
    """The stems of the question's two rarest terms: what an asked figure should stand beside."""
    rarest = sorted(query.terms, key=lambda t: -t.weight)[:2]
    return frozenset(t.stem for t in rarest)


def _sentence_coverage(query: Query, result: Result) -> float:
    if result.highlight is None:
        return 0.0
    return coverage(query.terms, frozenset(stem(t) for t in tokens(result.highlight.text)))


def _sentence_cosine(result: Result) -> float:
    """The highlighted sentence's cosine (0 without a highlight)."""
    return float(result.highlight.cosine) if result.highlight is not None else 0.0


def evidence(query: Query, results: Sequence[Result], agreement: float, supplied: Sequence[bool]) -> Evidence:
    """The features of the result an answer would be made of (the best, by similarity and coverage, whose highlight
    supplies what is asked, else the best); zeros when nothing was found. `supplied`: per result, whether its
    highlight supplies the kind of fact asked for (index/evidence.py `supplying`)."""
    if not results:
        return Evidence(tuple(0.0 for _ in FEATURES))
    order = sorted(range(len(results)), key=lambda i: -(results[i].similarity + results[i].coverage))
    second = results[order[1]].similarity if len(order) > 1 else 0.0
    # The features describe the result an answer would be made of: the best one whose highlight supplies the
    # kind of fact asked for, when there is one.
    supplying = [i for i in order if supplied[i]]
    best = results[supplying[0] if supplying else order[0]]
    supplies = bool(supplying)
    dense = query.vector is not None
    return Evidence((
        float(best.similarity) if dense else None,
        _sentence_cosine(best) if dense else None,
        float(best.coverage),
        _sentence_coverage(query, best),
        float(supplies),
        float(best.highlight is not None and query.asked.counts(best.highlight.text, _anchors(query))),
        float(query.asked.wants is not Wants.ANY),
        _constraints(query, best),
        _constraints(query, best, sentence=True),
        float(best.similarity - second) if dense else None,
        float(agreement) if query.mode is Mode.HYBRID else None,
    ))


@dataclass(frozen=True)
class AbstentionModel(LinearModel):
    """A fitted logistic regression over standardised features (its score is the log-odds that the results
    answer), and the probability it must reach to answer."""

    threshold: float = 0.5

    @classmethod
    def permissive(cls) -> AbstentionModel:
        """A model that answers whenever a result supports an answer: for gathering the features it is fitted on,
        and for encoders other than the one it was fitted for (the hashing encoder of tests)."""
        n = len(FEATURES)
        return cls(MODEL_VERSION, FEATURES, (0.0,) * n, (1.0,) * n, (0.0,) * n, 0.0,
                   trained_on="answers whenever a result supports", threshold=0.0)

    def probability(self, found: Evidence) -> float:
        """The probability that the results answer. A feature the mode cannot measure takes its training mean,
        so that it speaks neither for nor against."""
        values = np.array([m if v is None else v for v, m in zip(found.values, self.mean, strict=True)], dtype=float)
        z = float(self.scores(values))
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0

    def answers(self, found: Evidence) -> bool:
        return self.probability(found) >= self.threshold

    def save(self, path: Path = MODEL_FILE) -> None:
        super().save(path)

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> AbstentionModel:  # type: ignore[override]
        return cast(AbstentionModel, super().load(path, MODEL_VERSION, FEATURES, "python -m eval.abstention"))


@cache
def default_model() -> AbstentionModel:
    return AbstentionModel.load()
