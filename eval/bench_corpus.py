"""Benchmark of the corpus pipeline: clean + dedup + split on synthetic documents with planted duplicates.

Generates N documents (~500 words: a title, paragraphs, bullet lists with lead-ins) from a seeded
vocabulary; a share of them are copies of earlier documents in which every block is an exact or
near duplicate (case, spacing, a fused "View More" or unknown prefix, a word changed or inserted).
Reports wall time, documents per second, passages, and dedup recall on the planted duplicate
blocks and precision (no original block removed).

    .venv/bin/python -m eval.bench_corpus                 # 10,000 documents, 30 % duplicates
    .venv/bin/python -m eval.bench_corpus --docs 2000 --json out/bench_corpus.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from corpus.clean import CleaningRules
from corpus.dedup import DedupConfig, shingles
from corpus.loaders import RawDocument, load_paths
from corpus.model import normalise
from corpus.pipeline import BuildReport, clean_documents, passages_from
from corpus.structure import blocks

COMMON = (
    "the of and to in a for on that with by as is was are be from at this which it has have were its an or "
    "their more all also not other such been these can into under will would between through during than "
    "including across against while after both each new most within where many national global local women "
    "girls violence programme agency agencies support report data country countries government partners "
    "protection services survivors response prevention coordination funding policy commission council "
    "community communities health education justice rights security development humanitarian emergency "
    "regional strategy framework initiative network assessment capacity training evaluation monitoring "
    "access resources implementation office committee members group working meeting session year years"
).split()
SYLLABLES = "ka lo mi ra te su no vi de pa li ro ma ne si to ba ge lu fo an er in ot us el ar or ix um".split()


@dataclass
class Planted:
    """What a generated block is: an original, or a duplicate of an earlier block and of which kind."""

    doc: int
    block: int
    kind: str  # "original" or the duplicate kind


@dataclass
class Figures:
    documents: int
    duplicate_documents: int
    words: int
    load_seconds: float
    clean_seconds: float
    dedup_split_seconds: float
    seconds: float
    cpu_seconds: float
    docs_per_second: float
    blocks: int
    passages: int
    exact_duplicates: int
    near_duplicates: int
    planted_duplicate_blocks: int
    detected: int
    originals_removed: int
    recall: float
    precision: float
    recall_by_kind: dict[str, float]


class Generator:
    """Seeded documents: Zipf-like word choice, so common words recur across documents as in real text."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        rare = {"".join(self.rng.choices(SYLLABLES, k=self.rng.randint(2, 4))) for _ in range(6000)}
        self.words = COMMON + sorted(rare - set(COMMON))
        self.cum_weights = list(itertools.accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(len(self.words))))

    def pick(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum_weights, k=k)

    def sentence(self, low: int = 8, high: int = 24) -> str:
        words = self.pick(self.rng.randint(low, high))
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 6)))

    def document(self) -> tuple[str, list[str]]:
        """A title and blocks ("- " marks a bullet, a trailing ":" a lead-in), about 500 words."""
        title = " ".join(self.pick(5)).capitalize()
        out: list[str] = []
        words = 0
        while words < 500:
            if self.rng.random() < 0.2:
                lead = self.sentence()[:-1] + ". The following were reported:"
                out.append(lead)
                out += ["- " + self.sentence(10, 30) for _ in range(self.rng.randint(2, 4))]
            else:
                out.append(self.paragraph())
            words = sum(len(b.split()) for b in out)
        return title, out


def _near_enough(original: str, copy: str, config: DedupConfig) -> bool:
    """The copy is a near duplicate by the stated definition (Jaccard or containment on shingles)."""
    a, b = shingles(normalise(original), config.shingle), shingles(normalise(copy), config.shingle)
    common = len(a & b)
    return bool(common) and (common / len(a | b) >= config.jaccard or common / len(b) >= config.containment)


def duplicate_block(gen: Generator, block: str, config: DedupConfig) -> tuple[str, str]:
    """A transformed copy of a block and the kind of transformation."""
    rng = gen.rng
    bullet = block.startswith("- ")
    body = block[2:] if bullet else block
    kind = rng.choice(["exact", "case", "spacing", "view-more", "fused-prefix", "word-changed", "word-inserted"])
    if kind == "case":
        body = body.upper() if rng.random() < 0.5 else body.lower()
    elif kind == "spacing":
        body = body.replace(" ", rng.choice(["  ", " \t", "\u00a0"]), rng.randint(1, 8))
    elif kind == "view-more":
        body = rng.choice(["View More", "Read more", "Show more"]) + body
    elif kind in ("fused-prefix", "word-changed", "word-inserted"):
        if kind == "fused-prefix":  # a prefix no cleaning rule knows: only containment catches it
            candidate = rng.choice(["Click here", "Open", "Tap to see"]) + body
        else:
            words = body.split(" ")
            for _ in range(rng.randint(1, 2)):
                at = rng.randrange(1, len(words))
                new = rng.choice(gen.words)
                if kind == "word-changed":
                    words[at] = new
                else:
                    words.insert(at, new)
            candidate = " ".join(words)
        # A near duplicate must be one by the stated definition; a block too short to take the
        # edit and stay near (a lead-in, a short bullet) gets a spacing change instead.
        if body.endswith(":") or not _near_enough(body, candidate, config):
            kind, candidate = "spacing (edit too large)", body.replace(" ", "  ", 1)
        body = candidate
    return ("- " if bullet else "") + body, kind


def generate(n: int, dup_rate: float, seed: int, config: DedupConfig) -> tuple[list[RawDocument], list[list[Planted]]]:
    gen = Generator(seed)
    originals: list[tuple[str, list[str]]] = []
    documents: list[RawDocument] = []
    planted: list[list[Planted]] = []
    for i in range(n):
        if originals and gen.rng.random() < dup_rate:
            title, source_blocks = gen.rng.choice(originals)
            pairs = [duplicate_block(gen, b, config) for b in source_blocks]
            out, kinds = [p[0] for p in pairs], [p[1] for p in pairs]
        else:
            title, out = gen.document()
            originals.append((title, out))
            kinds = ["original"] * len(out)
        documents.append(RawDocument(f"synthetic/doc{i:05d}.md", title, _render(title, out)))
        planted.append([Planted(i, k, kind) for k, kind in enumerate(kinds)])
    return documents, planted


def _render(title: str, out: list[str]) -> str:
    """Markdown: a title heading, blank lines between paragraphs, a list right under its lead-in."""
    text = f"# {title}\n"
    for block in out:
        text += ("\n" if block.startswith("- ") else "\n\n") + block
    return text + "\n"


def run(n: int, dup_rate: float, seed: int, load: bool) -> Figures:
    config = DedupConfig()
    raw, planted = generate(n, dup_rate, seed, config)
    words = sum(len(r.text.split()) for r in raw)

    load_seconds = 0.0
    if load:
        with tempfile.TemporaryDirectory() as tmp:
            for r in raw:
                path = Path(tmp) / r.source
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(r.text, encoding="utf-8")
            started = time.perf_counter()
            loaded, skipped = load_paths([tmp])
            load_seconds = time.perf_counter() - started
            if len(loaded) != n or skipped:
                raise SystemExit(f"loading the written files gave {len(loaded)} documents and {len(skipped)} skipped")

    cpu = time.process_time()
    started = time.perf_counter()
    documents = clean_documents(raw, CleaningRules())
    cleaned = time.perf_counter()
    report = BuildReport(documents_read=len(raw))
    passages = passages_from(documents, dedup=config, report=report)
    finished = time.perf_counter()
    cpu = time.process_time() - cpu

    if len(documents) != n:
        raise SystemExit(f"cleaning kept {len(documents)} of {n} documents")
    kept_starts: dict[str, set[int]] = {}
    for p in passages:
        kept_starts.setdefault(p.doc_id, set()).add(p.start)
    planted_dups = detected = originals_removed = 0
    by_kind: dict[str, list[int]] = {}
    for doc, labels in zip(documents, planted, strict=True):
        found = blocks(doc.text)
        if len(found) != len(labels):
            raise SystemExit(f"{doc.source}: the parser found {len(found)} blocks where {len(labels)} were generated")
        starts = kept_starts.get(doc.doc_id, set())
        for block, label in zip(found, labels, strict=True):
            removed = not any(block.start <= s < block.end for s in starts)
            if label.kind == "original":
                originals_removed += removed
            else:
                planted_dups += 1
                detected += removed
                tally = by_kind.setdefault(label.kind, [0, 0])
                tally[0] += removed
                tally[1] += 1
    seconds = finished - started
    return Figures(
        documents=n,
        duplicate_documents=sum(1 for labels in planted if labels and labels[0].kind != "original"),
        words=words,
        load_seconds=round(load_seconds, 3),
        clean_seconds=round(cleaned - started, 3),
        dedup_split_seconds=round(finished - cleaned, 3),
        seconds=round(seconds, 3),
        cpu_seconds=round(cpu, 3),
        docs_per_second=round(n / seconds, 1),
        blocks=report.blocks,
        passages=len(passages),
        exact_duplicates=report.exact_duplicates,
        near_duplicates=report.near_duplicates,
        planted_duplicate_blocks=planted_dups,
        detected=detected,
        originals_removed=originals_removed,
        recall=round(detected / planted_dups, 4) if planted_dups else 1.0,
        precision=round(detected / (detected + originals_removed), 4) if detected + originals_removed else 1.0,
        recall_by_kind={k: round(hit / total, 4) for k, (hit, total) in sorted(by_kind.items())},
    )


def table(f: Figures) -> str:
    rows = [
        ("documents", f"{f.documents:,} ({f.duplicate_documents:,} planted duplicates, {f.words:,} words)"),
        ("load (files → raw)", f"{f.load_seconds:.2f} s" if f.load_seconds else "not measured"),
        ("clean", f"{f.clean_seconds:.2f} s"),
        ("blocks + dedup + split", f"{f.dedup_split_seconds:.2f} s"),
        ("wall time (in memory)", f"{f.seconds:.2f} s  (CPU {f.cpu_seconds:.2f} s)"),
        ("documents / s", f"{f.docs_per_second:,.0f}"),
        ("blocks", f"{f.blocks:,}"),
        ("passages", f"{f.passages:,}"),
        ("exact / near duplicates", f"{f.exact_duplicates:,} / {f.near_duplicates:,}"),
        ("recall (planted)", f"{f.recall:.4f}  ({f.detected:,} of {f.planted_duplicate_blocks:,} blocks)"),
        ("precision", f"{f.precision:.4f}  ({f.originals_removed:,} originals removed)"),
    ]
    rows += [(f"  recall: {kind}", f"{value:.4f}") for kind, value in f.recall_by_kind.items()]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000, help="documents to generate (default 10,000)")
    parser.add_argument("--dup-rate", type=float, default=0.3, help="share of documents that are planted copies")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-load", action="store_true", help="skip writing the files and timing their loading")
    parser.add_argument("--json", type=Path, nargs="?", const=Path("out/bench_corpus.json"), metavar="PATH",
                        help="also write the figures as JSON (default path out/bench_corpus.json)")
    args = parser.parse_args(argv)
    figures = run(args.docs, args.dup_rate, args.seed, load=not args.no_load)
    print(table(figures))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        record = {"cpus": os.cpu_count(), "seed": args.seed, "dup_rate": args.dup_rate, **asdict(figures)}
        args.json.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
