"""BEIR benchmarks: a folder with corpus.jsonl, queries.jsonl and qrels/test.tsv, scored at document level.

The corpus is indexed once into a cache keyed by its checksum; retrieved passages are mapped back to
the benchmark's document ids, duplicates included, so that the figures compare with published ones.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import evaluate, leaderboard_ndcg, mean, percentile
from index.build import build_index
from index.config import Mode
from index.embed import Embedder, compatible_backends
from index.engine import Engine
from index.evidence import Result
from index.load import check_backend, load_index
from index.manifest import IndexFolderError

log = logging.getLogger(__name__)

METRICS = ("ndcg@10", "recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "hit@10")
DEFAULT_DEPTH = 100


class BeirError(ValueError):
    """A BEIR folder that cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class BeirSet:
    """A benchmark: the corpus file, queries (id -> text) and graded judgements (query -> doc -> grade > 0)."""

    root: Path
    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    @property
    def judged_queries(self) -> list[str]:
        """Queries that have both a text and at least one relevant document, in file order."""
        return [q for q in self.queries if q in self.qrels]


def read_queries(path: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                qid, text = str(record["_id"]), record["text"]
            except (ValueError, KeyError, TypeError) as exc:
                raise BeirError(f"{path}:{number}: not a query record with '_id' and 'text' ({exc})") from exc
            if not isinstance(text, str) or not text.strip():
                raise BeirError(f"{path}:{number}: the query '{qid}' has no text")
            queries[qid] = text.strip()
    return queries


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query-id, corpus-id, score (tab-separated; TREC's four columns accepted too). A header line is
    skipped only when it is one: dropping the first line blindly loses a judgement in header-less files."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            parts = line.rstrip("\n").split("\t") if "\t" in line else line.split()
            if len(parts) == 4:  # TREC: query-id, iteration, corpus-id, score
                parts = [parts[0], parts[2], parts[3]]
            if len(parts) != 3:
                raise BeirError(f"{path}:{number}: expected query-id, corpus-id and score, found {len(parts)} columns")
            qid, doc, grade = (p.strip() for p in parts)
            try:
                score = int(float(grade))
            except ValueError:
                if number == 1:
                    continue  # the header
                raise BeirError(f"{path}:{number}: the score '{grade}' is not a number") from None
            if score > 0:
                qrels.setdefault(qid, {})[doc] = score
    return qrels


def load_beir(root: Path, split: str = "test") -> BeirSet:
    root = Path(root)
    corpus, queries, qrels = root / "corpus.jsonl", root / "queries.jsonl", root / "qrels" / f"{split}.tsv"
    for path in (corpus, queries, qrels):
        if not path.is_file():
            raise BeirError(f"{root} is not a BEIR folder: {path.relative_to(root)} is missing")
    return BeirSet(root, corpus, read_queries(queries), read_qrels(qrels))


# -- the cached index ---------------------------------------------------------------------------


def corpus_key(corpus: Path) -> str:
    """The first 16 hex digits of the SHA-256 of the corpus file's bytes."""
    digest = hashlib.sha256()
    with corpus.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def cached_index(
    corpus: Path, cache: Path, embedder: Embedder, *, progress: bool = True, rebuild: bool = False
) -> tuple[Path, bool]:
    """The index of `corpus` under `cache`, built unless one for the same bytes and model loads: (dir, built).

    The key is the corpus bytes only, so a change to the corpus pipeline (cleaning, dedup, splitting)
    needs `rebuild=True` to show in the figures.
    """
    # int8 vectors get an index of their own; torch's and fp32 ONNX's are the same vectors and share the name there
    # was before a choice (a cached index of another model or family found there is rebuilt).
    suffix = "-onnx-int8" if compatible_backends(embedder.backend, "onnx-int8") else ""
    index_dir = Path(cache) / f"beir-{corpus_key(corpus)}{suffix}"
    try:
        if not rebuild:
            loaded = load_index(index_dir, expected_model=embedder.name)
            loaded.close()
            check_backend(index_dir, loaded.manifest, embedder.backend)
            return index_dir, False
    except IndexFolderError as exc:
        if index_dir.exists() or index_dir.is_symlink():
            log.warning("rebuilding the cached benchmark index: %s", exc)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    build_index([corpus], index_dir, embedder, progress=progress)
    return index_dir, True


# -- passages to benchmark documents ------------------------------------------------------------


def document_ids(results: Sequence[Result], external: Mapping[str, str]) -> list[str]:
    """Benchmark document ids in rank order: each passage stands for its own document and for the
    documents of its duplicates (the qrels may name any copy); a document keeps its best rank only."""
    ranked: dict[str, None] = {}
    for r in results:
        for doc_id in (r.passage.doc_id, *(loc.doc_id for loc in r.passage.also_at)):
            ext = external.get(doc_id)
            if ext is not None:
                ranked.setdefault(ext, None)
    return list(ranked)


@dataclass(frozen=True)
class BeirRun:
    mode: Mode
    ranking: dict[str, list[str]]  # query id -> benchmark document ids, best first
    took_ms: dict[str, float]
    scores: dict[str, dict[str, float]]  # metric -> query id -> value (judged queries)
    leaderboard: dict[str, float]  # query id -> leaderboard-form nDCG@10

    def mean(self, metric: str) -> float | None:
        if metric == "leaderboard_ndcg@10":
            return mean(self.leaderboard.values())
        return mean(self.scores[metric].values())

    @property
    def latencies(self) -> list[float]:
        return list(self.took_ms.values())

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.latencies, 50)

    @property
    def p99_ms(self) -> float | None:
        return percentile(self.latencies, 99)


def run_beir(engine: Engine, data: BeirSet, mode: Mode, depth: int = DEFAULT_DEPTH, *, progress: bool = False) -> BeirRun:
    """Every query searched `depth` passages deep (enough to fill 10 distinct documents), then scored."""
    from tqdm import tqdm

    external = engine.index.store.external_ids()
    if not external:
        raise BeirError("the index holds no documents with BEIR ids; was it built from a BEIR corpus.jsonl?")
    engine.search(engine.query("warm-up query", mode), 1)
    ranking: dict[str, list[str]] = {}
    took: dict[str, float] = {}
    for qid, text in tqdm(data.queries.items(), desc=f"queries ({mode})", unit="query", disable=not progress):
        outcome = engine.search(engine.query(text, mode), depth)
        ranking[qid] = document_ids(outcome.results, external)
        took[qid] = outcome.took_ms
    judged = {q: data.qrels[q] for q in data.judged_queries}
    scores = evaluate(judged, ranking, METRICS)
    board = {q: leaderboard_ndcg(grades, ranking.get(q, []), 10) for q, grades in judged.items()}
    return BeirRun(mode, ranking, took, scores, board)


def write_trec(path: Path, ranking: Mapping[str, Sequence[str]], tag: str) -> int:
    """A TREC run file, `qid Q0 docid rank score tag` a line; the score falls with the rank so that
    trec_eval, which sorts by score, keeps our order. Returns the number of lines written."""
    if not tag or any(c.isspace() for c in tag):
        raise ValueError(f"a TREC run tag is one word, not '{tag}'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for qid, docs in ranking.items():
        unique = list(dict.fromkeys(docs))
        lines += [f"{qid} Q0 {doc} {rank} {len(unique) - rank + 1} {tag}" for rank, doc in enumerate(unique, 1)]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)
