"""The tables and figures of an evaluation, built from gold or BEIR runs, for terminal, Markdown and HTML."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eval import plots
from eval.beir import BeirRun, BeirSet
from eval.report import DASH, Figure, Report, Table, clip, fmt, fmt_ms
from eval.runner import RECALL_KS, GoldRun, GroupSummary, QuestionOutcome

GROUP_COLUMNS = ("hit@1", "hit@5", "hit@10", "recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10")


def _pct(value: float | None) -> str:
    return fmt(value)


# -- gold ----------------------------------------------------------------------------------------


def gold_summary(runs: Sequence[GoldRun]) -> Table:
    """Every headline figure, one column per mode."""
    overall = [run.summarise("all") for run in runs]
    rows: list[tuple[str, ...]] = [("answerable questions", *(str(s.answerable) for s in overall))]
    rows += [(m, *(_pct(s.metrics[m]) for s in overall)) for m in GROUP_COLUMNS]
    rows.append(("list coverage@10", *(_pct(s.coverage) for s in overall)))
    rows.append(("answer holds answer", *(_answers(s) for s in overall)))
    rows.append(("abstention precision", *(_pct(s.abstention.precision) for s in overall)))
    rows.append(("abstention recall", *(_pct(s.abstention.recall) for s in overall)))
    rows.append(("latency p50 ms", *(fmt_ms(s.p50_ms) for s in overall)))
    rows.append(("latency p99 ms", *(fmt_ms(s.p99_ms) for s in overall)))
    return Table(
        "Summary (ranking figures over answerable questions; abstention over all)",
        ("metric", *(r.mode.value for r in runs)),
        rows,
        note="hit@k: a relevant passage in the top k. recall@k: share of the relevant passages in the top k. "
        "Answer holds answer: share of the questions with gold answer strings whose answer text holds one (n). "
        "Abstention: positive class = should abstain (unanswerable).",
    )


def _answers(s: GroupSummary) -> str:
    return f"{s.answer_holds:.3f} ({s.answers_judged})" if s.answer_holds is not None else DASH


def _group_row(s: GroupSummary) -> tuple[str, ...]:
    coverage = f"{s.coverage:.3f} ({s.lists})" if s.coverage is not None else DASH
    return (s.label, str(s.answerable), *(_pct(s.metrics[m]) for m in GROUP_COLUMNS), coverage, _answers(s))


def gold_groups(run: GoldRun) -> Table:
    headers = ("group", "n", *(m.replace("recall", "R") for m in GROUP_COLUMNS), "list cover@10 (n)", "answer holds (n)")
    return Table(
        f"{run.mode}: ranking by split and type (n = answerable questions)",
        headers,
        [_group_row(s) for s in run.groups() if s.answerable],
        note="Unanswerable questions are scored for abstention only.",
    )


def gold_abstention(run: GoldRun) -> Table:
    rows = []
    for s in run.groups():
        a = s.abstention
        rows.append((
            s.label, str(s.questions), str(a.true_positive + a.false_negative), str(a.true_positive + a.false_positive),
            str(a.true_positive), str(a.false_positive), str(a.false_negative), _pct(a.precision), _pct(a.recall),
        ))
    return Table(
        f"{run.mode}: abstention (positive = should abstain)",
        ("group", "questions", "unanswerable", "abstained", "TP", "FP", "FN", "precision", "recall"),
        rows,
    )


def _asked(o: QuestionOutcome) -> str:
    if o.searched != o.question.question:
        return f"{o.question.question} → searched: {o.searched}"
    return o.question.question


def _passage_cell(o: QuestionOutcome, width: int) -> str:
    top = o.top
    return DASH if top is None else f"{top.passage_id} {clip(top.text, width)}"


def gold_misses(run: GoldRun, width: int = 60) -> Table:
    rows = []
    for o in run.misses:
        rank = str(o.first_relevant) if o.first_relevant else DASH
        note = " (evidence in no passage)" if not o.relevant else ""
        rows.append((o.question.id, o.question.type.value, o.question.split.value, clip(_asked(o), width + 40) + note, rank, _passage_cell(o, width)))
    return Table(
        f"{run.mode}: misses — answerable questions whose first result holds no evidence ({len(rows)})",
        ("id", "type", "split", "question", "first relevant", "ranked first"),
        rows,
        left=4,
    )


def gold_abstention_errors(run: GoldRun, width: int = 60) -> Table:
    rows = []
    for o in run.outcomes:
        if o.question.answerable == o.abstained:
            what = "abstained, but answerable" if o.abstained else "answered, but unanswerable"
            rows.append((o.question.id, o.question.type.value, clip(_asked(o), width + 40), what, f"{o.confidence:.3f}", _passage_cell(o, width)))
    return Table(
        f"{run.mode}: abstention errors ({len(rows)})",
        ("id", "type", "question", "error", "confidence", "ranked first"),
        rows,
        left=4,
    )


def gold_coverage(run: GoldRun) -> Table:
    rows = [
        (o.question.id, clip(o.question.question, 70), f"{o.groups_met}/{len(o.question.all_of)}")
        for o in run.outcomes
        if o.question.all_of
    ]
    return Table(f"{run.mode}: list questions, all_of groups met in the top 10", ("id", "question", "groups met"), rows, left=2)


def gold_unmatched(run: GoldRun) -> Table | None:
    rows = [(o.question.id, clip(e, 90)) for o in run.outcomes for e in o.unmatched_evidence]
    if not rows:
        return None
    return Table(
        "Gold evidence found in no passage of this index (re-chunked corpus, or a typo in the gold file)",
        ("id", "evidence"),
        rows,
        left=2,
    )


def gold_report(runs: Sequence[GoldRun], facts: list[str], threshold: float, figures_dir: Path | None) -> Report:
    """The whole gold evaluation; figures are drawn only when a folder for them is given."""
    report = Report("cited evaluation — gold questions", facts)
    summary: list[Table | Figure] = [gold_summary(runs)]
    unmatched = gold_unmatched(runs[0])
    if unmatched:
        summary.insert(0, unmatched)
    if figures_dir is not None:
        per_mode = {r.mode.value: {k: r.summarise("all").metrics[f"recall@{k}"] or 0.0 for k in RECALL_KS} for r in runs}
        plots.recall_at_k(per_mode, figures_dir / "recall_at_k.png", "Recall@k of answerable gold questions")
        summary.append(Figure("recall_at_k.png", "Recall@k per mode (answerable questions)."))
    report.sections.append(("Summary", summary))
    report.sections.append(("By split and type", [gold_groups(r) for r in runs]))
    abstention: list[Table | Figure] = [gold_abstention(r) for r in runs]
    if figures_dir is not None:
        conf = {
            r.mode.value: (
                [o.confidence for o in r.outcomes if o.question.answerable],
                [o.confidence for o in r.outcomes if not o.question.answerable],
            )
            for r in runs
        }
        plots.confidence(conf, threshold, figures_dir / "confidence.png")
        abstention.append(Figure("confidence.png", f"SearchOutcome.confidence (the abstention model's probability that the results answer) of answerable and unanswerable questions; the engine abstains below {threshold:.2f}."))
    abstention += [gold_abstention_errors(r) for r in runs]
    report.sections.append(("Abstention", abstention))
    if figures_dir is not None:
        plots.latency({r.mode.value: [o.took_ms for o in r.outcomes] for r in runs}, figures_dir / "latency.png")
        report.sections.append(("Latency", [Figure("latency.png", "Search time per question (all questions, after one warm-up search).")]))
    report.sections.append(("Misses", [t for r in runs for t in (gold_misses(r), gold_coverage(r))]))
    return report


# -- BEIR ----------------------------------------------------------------------------------------

BEIR_ROWS = (
    ("nDCG@10 (standard, ranx)", "ndcg@10"),
    ("nDCG@10 (leaderboard form)", "leaderboard_ndcg@10"),
    ("recall@10", "recall@10"),
    ("MRR@10", "mrr@10"),
    ("hit@10", "hit@10"),
    ("recall@1", "recall@1"),
    ("recall@3", "recall@3"),
    ("recall@5", "recall@5"),
)


def beir_summary(runs: Sequence[BeirRun], data: BeirSet) -> Table:
    rows: list[tuple[str, ...]] = [("judged queries", *(str(len(r.scores["ndcg@10"])) for r in runs))]
    rows += [(label, *(_pct(r.mean(key)) for r in runs)) for label, key in BEIR_ROWS]
    rows.append(("latency p50 ms", *(fmt_ms(r.p50_ms) for r in runs)))
    rows.append(("latency p99 ms", *(fmt_ms(r.p99_ms) for r in runs)))
    return Table(
        f"{data.root.name}: document-level figures",
        ("metric", *(r.mode.value for r in runs)),
        rows,
        note="Standard nDCG@10 takes the ideal DCG over all judged documents (as BEIR/pytrec_eval); the leaderboard "
        "form takes it over the retrieved ten only, so it runs higher.",
    )


def beir_worst(run: BeirRun, data: BeirSet, limit: int = 10) -> Table:
    scores = run.scores["ndcg@10"]
    worst = sorted(scores, key=lambda q: (scores[q], q))[:limit]
    rows = []
    for qid in worst:
        ranked = run.ranking.get(qid, [])
        grades = data.qrels[qid]
        first = next((i for i, d in enumerate(ranked, 1) if d in grades), None)
        rows.append((qid, clip(data.queries.get(qid, ""), 60), str(len(grades)), f"{scores[qid]:.3f}", str(first) if first else DASH))
    return Table(
        f"{run.mode}: the {len(rows)} queries with the lowest nDCG@10",
        ("query", "text", "judged relevant", "nDCG@10", "first relevant rank"),
        rows,
        left=2,
    )


def beir_report(runs: Sequence[BeirRun], data: BeirSet, facts: list[str], figures_dir: Path | None) -> Report:
    report = Report(f"cited evaluation — BEIR {data.root.name}", facts)
    summary: list[Table | Figure] = [beir_summary(runs, data)]
    if figures_dir is not None:
        per_mode = {r.mode.value: {k: r.mean(f"recall@{k}") or 0.0 for k in RECALL_KS} for r in runs}
        plots.recall_at_k(per_mode, figures_dir / "recall_at_k.png", f"Recall@k on {data.root.name} (documents)")
        judged = sum(len(data.qrels[q]) for q in data.judged_queries) / max(1, len(data.judged_queries))
        summary.append(Figure("recall_at_k.png", f"Document recall@k per mode; a query has {judged:.0f} judged relevant documents on average, which caps recall@10."))
        plots.latency({r.mode.value: r.latencies for r in runs}, figures_dir / "latency.png")
        summary.append(Figure("latency.png", "Search time per query."))
    report.sections.append(("Summary", summary))
    report.sections.append(("Hardest queries", [beir_worst(r, data) for r in runs]))
    return report
