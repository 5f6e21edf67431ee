"""Running a gold question set through the engine and scoring every question, per mode."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from corpus.model import Passage
from eval.gold import GoldQuestion, Judge, QuestionType, Split, answer_holds
from eval.metrics import Abstention, evaluate, first_relevant_rank, mean, percentile
from index.answer import Answer
from index.config import Mode
from index.engine import Engine

HIT_KS = (1, 3, 5, 10)
RECALL_KS = (1, 3, 5, 10)
METRICS = (
    *(f"hit@{k}" for k in HIT_KS), *(f"recall@{k}" for k in RECALL_KS), "mrr@10", "ndcg@10",
)
# Stands in as the only relevant passage of a question whose evidence is in no passage of the index,
# so such a question scores 0 everywhere instead of silently leaving the average.
NO_EVIDENCE = "<evidence found in no passage>"

@dataclass(frozen=True)
class QuestionOutcome:
    """What one question got: the query searched, the ranking, and its scores (empty when unanswerable)."""

    question: GoldQuestion
    searched: str
    ranked: tuple[Passage, ...]
    relevant: frozenset[str]
    unmatched_evidence: tuple[str, ...]
    first_relevant: int | None
    groups_met: int
    abstained: bool
    confidence: float
    took_ms: float
    scores: dict[str, float] = field(default_factory=dict)
    answer: str = ""  # the text `Engine.ask` answered
    answer_holds: bool | None = None  # it holds one of the gold answer strings; None when the question has none

    @property
    def top(self) -> Passage | None:
        return self.ranked[0] if self.ranked else None

    @property
    def coverage(self) -> float | None:
        """Share of the all_of groups met in the top 10; None for questions without groups."""
        return self.groups_met / len(self.question.all_of) if self.question.all_of else None

    @property
    def missed(self) -> bool:
        """An answerable question whose first result holds none of its evidence."""
        return self.question.answerable and self.first_relevant != 1


@dataclass(frozen=True)
class GroupSummary:
    """The figures of one group of questions (all, a split, a type) in one mode."""

    label: str
    questions: int
    answerable: int
    metrics: dict[str, float | None]
    coverage: float | None
    lists: int
    abstention: Abstention
    p50_ms: float | None
    p99_ms: float | None
    answer_holds: float | None = None  # share of the questions with answer strings whose answer holds one
    answers_judged: int = 0


@dataclass(frozen=True)
class GoldRun:
    mode: Mode
    k: int
    outcomes: list[QuestionOutcome]

    def summarise(self, label: str, keep: Callable[[QuestionOutcome], bool] = lambda o: True) -> GroupSummary:
        chosen = [o for o in self.outcomes if keep(o)]
        scored = [o for o in chosen if o.question.answerable]
        coverages = [o.coverage for o in chosen if o.coverage is not None]
        latencies = [o.took_ms for o in chosen]
        held = [float(o.answer_holds) for o in chosen if o.answer_holds is not None]
        return GroupSummary(
            label=label,
            questions=len(chosen),
            answerable=len(scored),
            metrics={m: mean(o.scores[m] for o in scored) for m in METRICS},
            coverage=mean(coverages),
            lists=len(coverages),
            abstention=Abstention.count((not o.question.answerable, o.abstained) for o in chosen),
            p50_ms=percentile(latencies, 50),
            p99_ms=percentile(latencies, 99),
            answer_holds=mean(held),
            answers_judged=len(held),
        )

    def groups(self) -> list[GroupSummary]:
        """All questions, then each split present, then each type present, in a fixed order."""
        out = [self.summarise("all")]
        splits = dict.fromkeys(o.question.split for o in self.outcomes)
        if len(splits) > 1:
            out += [self.summarise(f"split {s}", _of_split(s)) for s in splits]
        present = {o.question.type for o in self.outcomes}
        out += [self.summarise(t.value, _of_type(t)) for t in QuestionType if t in present]
        return out

    @property
    def misses(self) -> list[QuestionOutcome]:
        return [o for o in self.outcomes if o.missed]


def _of_split(split: Split) -> Callable[[QuestionOutcome], bool]:
    return lambda o: o.question.split is split


def _of_type(qtype: QuestionType) -> Callable[[QuestionOutcome], bool]:
    return lambda o: o.question.type is qtype


def run_gold(
    engine: Engine,
    questions: Sequence[GoldQuestion],
    mode: Mode,
    k: int = 10,
    judge: Judge | None = None,
) -> GoldRun:
    """Ask every question (follow-ups made standalone with their history, as chat does), score the rankings against
    the evidence and the answers against the answer strings. `Engine.ask` answers from its own search's outcome,
    so the ranking figures are those of `Engine.search`."""
    judge = judge or Judge(engine.index.store.passages(with_locations=False))
    engine.search(engine.query("warm-up query", mode), 1)  # the first search pays for lazy set-up; keep it out of the latencies
    searched: list[tuple[GoldQuestion, str, Answer]] = []
    for q in questions:
        query = engine.query(q.question, mode, q.history if q.type is QuestionType.FOLLOWUP else ())
        searched.append((q, query.standalone, engine.ask(query, k)))
    relevant = {q.id: judge.relevant_ids(q) for q in questions if q.answerable}
    qrels = {qid: dict.fromkeys(ids or {NO_EVIDENCE}, 1) for qid, ids in relevant.items()}
    ranking = {q.id: [r.passage.passage_id for r in answer.outcome.results] for q, _, answer in searched}
    scores = evaluate(qrels, ranking, METRICS)
    outcomes = []
    for q, standalone, answer in searched:
        outcome = answer.outcome
        passages = tuple(r.passage for r in outcome.results)
        ids = relevant.get(q.id, set())
        first = first_relevant_rank([p.passage_id for p in passages], ids)
        outcomes.append(
            QuestionOutcome(
                question=q, searched=standalone, ranked=passages, relevant=frozenset(ids),
                unmatched_evidence=tuple(judge.unmatched_evidence(q)), first_relevant=first,
                groups_met=Judge.groups_met(q, passages[:10]),
                abstained=not outcome.answerable,
                confidence=float(outcome.confidence),
                took_ms=float(outcome.took_ms),
                scores={m: scores[m][q.id] for m in METRICS} if q.answerable else {},
                answer=answer.answer,
                answer_holds=answer_holds(q, answer.answer) if q.answerable else None,
            )
        )
    return GoldRun(mode, k, outcomes)


def modes_for(choice: str) -> list[Mode]:
    """'all' runs the three modes side by side, the single retrievers first."""
    if choice == "all":
        return [Mode.DENSE, Mode.LEXICAL, Mode.HYBRID]
    return [Mode.parse(choice)]


def unmatched(runs: Iterable[GoldRun]) -> dict[str, tuple[str, ...]]:
    """Question id -> its evidence strings found in no passage (a gold set out of step with the index)."""
    for run in runs:
        return {o.question.id: o.unmatched_evidence for o in run.outcomes if o.unmatched_evidence}
    return {}
