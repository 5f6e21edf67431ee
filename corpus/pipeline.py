"""From files to deduplicated, structure-aware passages: load → clean → blocks → dedup → split."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from corpus.clean import Cleaner, CleaningRules, recurring_furniture, running_heads, strip_controls
from corpus.dedup import DedupConfig, Fingerprint, deduplicate_fingerprints, fingerprint
from corpus.loaders import RawDocument, Skipped, load_paths
from corpus.markup import plain_text
from corpus.model import Document, Location, Passage, doc_id_for, passage_id_for
from corpus.structure import Block, blocks, merge_fragments, split_long
from corpus.titles import first_heading, same_title, title_from_name, title_line

log = logging.getLogger(__name__)

PAGE_BREAK = "\n\n"
# Both are frozen: one shared default instance is safe.
DEFAULT_RULES = CleaningRules()
DEFAULT_DEDUP = DedupConfig()


@dataclass
class BuildReport:
    """What a build read, dropped and kept; printed at the end of `cited build`."""

    documents_read: int = 0
    blocks: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    passages_kept: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"documents read      {self.documents_read}",
            f"blocks              {self.blocks}",
            f"exact duplicates    {self.exact_duplicates}",
            f"near duplicates     {self.near_duplicates}",
            f"passages kept       {self.passages_kept}",
            f"files skipped       {len(self.skipped)}",
        ]
        out += [f"  skipped {s.source}: {s.reason}" for s in self.skipped]
        return out


@dataclass
class PreparedCorpus:
    documents: list[Document]
    passages: list[Passage]
    report: BuildReport


def rendered(r: RawDocument) -> str:
    """The text a reader sees of a loaded document: markup rendered, pages joined; what cleaning reads."""
    return "\n".join(r.pages) if r.pages is not None else plain_text(r.source, r.text)


def clean_documents(raw: Sequence[RawDocument], rules: CleaningRules = DEFAULT_RULES) -> list[Document]:
    """Cleaned documents; a paged source keeps its page spans for citations."""
    # Markup is rendered first, so cleaning and every later stage see the text a reader sees.
    texts = [rendered(r) for r in raw]
    cleaner = Cleaner(rules, recurring_furniture(texts, rules))
    cleaned = (
        clean_document(r, body, cleaner, rules)
        for r, body in tqdm(
            zip(raw, texts, strict=True), total=len(raw), desc="cleaning", unit="doc", disable=len(raw) < 2000, leave=False
        )
    )
    return distinct(d for d in cleaned if d is not None)


def distinct(documents: Iterable[Document]) -> list[Document]:
    """The documents in order, each once: the same file named twice gives one document."""
    seen: set[str] = set()
    out: list[Document] = []
    for doc in documents:
        if doc.doc_id not in seen:
            seen.add(doc.doc_id)
            out.append(doc)
    return out


def clean_document(r: RawDocument, body: str, cleaner: Cleaner, rules: CleaningRules) -> Document | None:
    """One document cleaned (`body` is its rendered text), with its title; None when nothing is left of it."""
    if r.pages is not None:
        heads = running_heads(r.pages, rules)
        page_cleaner = Cleaner(rules, cleaner.furniture, heads) if heads else cleaner
        parts: list[str] = []
        spans: list[tuple[int, int, int]] = []
        pos = 0
        for number, page in enumerate(r.pages, 1):
            cleaned = page_cleaner.clean(page)
            if not cleaned:
                continue
            if parts:
                pos += len(PAGE_BREAK)
            spans.append((number, pos, pos + len(cleaned)))
            parts.append(cleaned)
            pos += len(cleaned)
        text, pages = PAGE_BREAK.join(parts), tuple(spans)
    else:
        text, pages = cleaner.clean(body), ()
    if not text.strip():
        return None
    title, text, pages = own_title(r, text, pages)
    # A title is shown on every page that cites the document: it gets the same control-character cleaning.
    title = strip_controls(title).strip() or r.source
    return Document(doc_id_for(r.source, text), title, r.source, text, pages, r.external_id, r.sha256)


def own_title(
    r: RawDocument, text: str, pages: tuple[tuple[int, int, int], ...]
) -> tuple[str, str, tuple[tuple[int, int, int], ...]]:
    """The document's title, and its cleaned text and page spans without the title it opens with.

    Every passage carries the title, so the title line is neither a passage of its own nor the context
    of the body under it. A given title (a sidecar's, a page's) lifts only an opening line that says
    the same; a different opening heading stays, as the context of what follows it.
    """
    found = title_line(text) if r.title_in_text else None
    if found is None or (r.title is not None and not same_title(found.title, r.title)):
        title = r.title or (first_heading(text) if r.title_in_text else None) or title_from_name(r.source)
        return title, text, pages
    cut = found.end
    # The pages move up by the cut; a page that held only the title goes.
    kept = tuple((number, max(start - cut, 0), end - cut) for number, start, end in pages if end > cut)
    return r.title or found.title, text[cut:], kept


def _block_passage(doc: Document, block: Block, start: int, end: int) -> Passage:
    text = doc.text[start:end]
    return Passage(
        passage_id=passage_id_for(text), doc_id=doc.doc_id, text=text, start=start, end=end,
        context=block.context, title=doc.title, source=doc.source, page=doc.page_at(start) if doc.pages else None,
    )


def passages_from(
    documents: Sequence[Document],
    *,
    max_words: int = 200,
    dedup: DedupConfig = DEFAULT_DEDUP,
    existing: Sequence[str] = (),
    report: BuildReport | None = None,
    blocks_of: Callable[[Sequence[Document]], list[list[Block]]] | None = None,
    fingerprints_of: Callable[[Sequence[str]], list[Fingerprint]] | None = None,
) -> list[Passage]:
    """Deduplicated passages of `documents`, in document order.

    `existing` holds the texts of passages already indexed: a new block repeating one of them is
    dropped (incremental add). `blocks_of` and `fingerprints_of` do the per-document and per-block work
    (here by default; a cluster passes its own); dedup itself always runs over all blocks at once.
    """
    blocks_of = blocks_of or (lambda docs: [passage_blocks(doc) for doc in docs])
    fingerprints_of = fingerprints_of or (lambda texts: [fingerprint(t, dedup) for t in texts])
    report = report if report is not None else BuildReport()
    located = [(doc, b) for doc, found in zip(documents, blocks_of(documents), strict=True) for b in found]
    report.blocks += len(located)
    texts = list(existing) + [doc.text[b.start : b.end] for doc, b in located]
    result = deduplicate_fingerprints(fingerprints_of(texts), dedup)
    offset = len(existing)
    exact, near = result.count(since=offset)
    report.exact_duplicates += exact
    report.near_duplicates += near

    extra: dict[int, list[Location]] = {}
    for i, original in sorted(result.duplicate_of.items()):  # in reading order
        if i >= offset and original >= offset:
            doc, b = located[i - offset]
            extra.setdefault(original, []).append(Location(doc.doc_id, b.start, b.end))

    kept: list[Passage] = []
    ids: dict[str, int] = {}
    for i, (doc, block) in enumerate(located, start=offset):
        if i in result.duplicate_of:
            continue
        for start, end in split_long(doc.text, block.start, block.end, max_words):
            passage = _block_passage(doc, block, start, end)
            if passage.passage_id in ids:  # two splits that came out equal
                continue
            ids[passage.passage_id] = len(kept)
            kept.append(_with_locations(passage, extra.get(i, ())))
    report.passages_kept += len(kept)
    return kept


def passage_blocks(doc: Document) -> list[Block]:
    """The blocks of a document that can become passages."""
    # Code stays in the document, for a reader to see around a cited passage, but is not a passage: it
    # has no sentences to cite, and as text it would match questions by its identifiers alone.
    return [b for b in merge_fragments(doc.text, blocks(doc.text)) if b.kind != "code"]


def _with_locations(passage: Passage, locations: Iterable[Location]) -> Passage:
    locations = tuple(locations)
    return replace(passage, also_at=locations) if locations else passage


def prepare(
    paths: Iterable[str | Path],
    rules: CleaningRules = DEFAULT_RULES,
    *,
    max_words: int = 200,
    existing: Sequence[str] = (),
    phase: Callable[[str, str], None] = lambda name, detail: None,
) -> PreparedCorpus:
    """Load, clean, split and deduplicate everything under `paths`; `phase(name, detail)` is told as each starts."""
    phase("load", "")
    raw, skipped = load_paths(paths)
    report = BuildReport(documents_read=len(raw), skipped=skipped)
    phase("clean", f"{len(raw)} documents")
    documents = clean_documents(raw, rules)
    phase("dedup", f"{len(documents)} documents")
    passages = passages_from(documents, max_words=max_words, existing=existing, report=report)
    return PreparedCorpus(documents, passages, report)
