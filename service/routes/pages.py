"""The web pages: search (rendered on the server, works without JavaScript, optionally within some documents), the
document list, a document, a passage in its document, chat."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from index.answer import Answer
from index.engine import Engine
from index.evidence import Result
from index.filters import Filter
from service.deps import NOT_READY, ReaderDep, TemplatesDep, ready_engine
from service.validation import DOC_ID, MAX_K, PASSAGE_ID, check_filter_item, check_question, sentence

router = APIRouter(tags=["pages"], include_in_schema=False, default_response_class=HTMLResponse)
# Served to everyone, like the files under /static: a login page has an icon too.
assets = APIRouter(include_in_schema=False)

_MARKER = re.compile(r"\[(\d+)\]")
_SPAN = re.compile(r"(\d{1,9})-(\d{1,9})")


@dataclass(frozen=True)
class Card:
    """A citation as the page shows it: the passage split around its highlighted sentence."""

    n: int
    result: Result
    before: str
    highlight: str
    after: str
    href: str


def card(n: int, result: Result) -> Card:
    p, h = result.passage, result.highlight
    if h is None:
        return Card(n, result, p.text, "", "", f"/passages/{p.passage_id}#passage")
    return Card(n, result, p.text[: h.start], p.text[h.start : h.end], p.text[h.end :], f"/passages/{p.passage_id}?hl={h.start}-{h.end}#passage")


def answer_parts(answer: Answer) -> list[tuple[str, int | None]]:
    """The answer text cut at its [n] markers, so the page can link each marker to its citation card."""
    parts: list[tuple[str, int | None]] = []
    at = 0
    for match in _MARKER.finditer(answer.answer):
        parts.append((answer.answer[at : match.start()], None))
        parts.append((match.group(), int(match.group(1))))
        at = match.end()
    parts.append((answer.answer[at:], None))
    return [(text, n) for text, n in parts if text]


# Up to this many documents, the search page offers them in a select to search within one of them.
SELECT_DOCUMENTS = 300
PAGE_SIZE = 50


@router.get("/")
def search_page(
    request: Request,
    templates: TemplatesDep,
    access: ReaderDep,
    q: str | None = None,
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 5,
    doc_id: Annotated[list[str] | None, Query()] = None,
    source: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """Search, optionally within some documents (`doc_id`, `source` globs): plain query parameters, so a link or
    the form's select restricts it without JavaScript."""
    engine = ready_engine(request)
    doc_ids = [d for d in doc_id or [] if d]  # the select's "all documents" sends an empty value
    sources = [s for s in source or [] if s]
    where = Filter.of(sources or None, doc_ids or None) if doc_ids or sources else None
    visible = access.narrow(None)  # the key's sources; the client's choice narrows them, never widens them
    context: dict[str, Any] = {
        "q": q or "", "k": k, "answer": None, "cards": [], "error": None, "doc_ids": doc_ids, "sources": sources,
        "choices": _choices(engine, visible), "within": _within(engine, doc_ids, sources, visible),
    }
    status = 200
    if q is not None and q.strip():
        try:
            check_question(q)
            for item in (*doc_ids, *sources):
                check_filter_item(item)
        except ValueError as exc:
            context["error"], status = sentence(str(exc)), 422
        else:
            if engine is None:
                context["error"], status = NOT_READY, 503
            else:
                answer = engine.ask(engine.query(q), k, access.narrow(where))
                context["answer"] = answer
                context["parts"] = answer_parts(answer)
                context["cards"] = [card(c.n, c.result) for c in answer.citations]
    return templates.TemplateResponse(request, "search.html", context, status_code=status)


def _choices(engine: Engine | None, visible: Filter | None) -> list[tuple[str, str]]:
    """(doc_id, label) of every document the key may see, for the search page's select; none when there are too
    many for one, or no one store to list them from (a split index)."""
    if engine is None or engine.store is None:
        return []
    total, _ = engine.document_list(0, 0, visible)  # counted first: a longer list would be read only to be dropped
    if total > SELECT_DOCUMENTS:
        return []
    _, listed = engine.document_list(0, SELECT_DOCUMENTS, visible)
    return [(d.doc_id, f"{d.title} — {d.source}") for d in listed]


def _within(engine: Engine | None, doc_ids: list[str], sources: list[str], visible: Filter | None) -> list[str]:
    """What the search is restricted to, in words: document titles (or the ids as given, when not found or not
    for this key) and source globs."""
    documents = [engine.document(d, visible) if engine is not None else None for d in doc_ids]
    named = [f"{doc.title} ({doc.source})" if doc else d for d, doc in zip(doc_ids, documents, strict=True)]
    return named + [f"sources matching {s}" for s in sources]


@router.get("/documents")
def documents_page(
    request: Request, templates: TemplatesDep, access: ReaderDep, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0
) -> Response:
    """Every document in the index the key may see, newest first, each linking to its text and to a search within it."""
    engine = ready_engine(request)
    if engine is None:
        return _error(request, templates, 503, NOT_READY)
    if engine.store is None:
        return _error(request, templates, 422, "A split index cannot list its documents yet.")
    total, listed = engine.document_list(offset, PAGE_SIZE, access.narrow(None))
    context = {"documents": listed, "total": total, "offset": offset, "size": PAGE_SIZE}
    return templates.TemplateResponse(request, "documents.html", context)


@router.get("/documents/{doc_id}")
def document_page(request: Request, templates: TemplatesDep, access: ReaderDep, doc_id: str) -> Response:
    engine = ready_engine(request)
    if engine is None:
        return _error(request, templates, 503, NOT_READY)
    document = engine.document(doc_id, access.narrow(None)) if DOC_ID.fullmatch(doc_id) else None
    if document is None:
        return _error(request, templates, 404, f"There is no document {doc_id[:40]} in this index.")
    return templates.TemplateResponse(request, "document.html", {"document": document})


@router.get("/passages/{passage_id}")
def passage_page(request: Request, templates: TemplatesDep, access: ReaderDep, passage_id: str, hl: str | None = None) -> Response:
    engine = ready_engine(request)
    if engine is None:
        return _error(request, templates, 503, NOT_READY)
    if not PASSAGE_ID.fullmatch(passage_id):
        return _error(request, templates, 422, f"The passage id '{passage_id[:40]}' is malformed.")
    where = access.narrow(None)
    passage = engine.passage(passage_id, where)
    document = engine.document(passage.doc_id, where) if passage else None
    if passage is None or document is None:
        return _error(request, templates, 404, f"There is no passage {passage_id} in this index.")
    text = passage.text
    start, end = _span(hl, len(text))
    context = {
        "passage": passage,
        "document": document,
        "before": document.text[: passage.start],
        "after": document.text[passage.end :],
        "p_before": text[:start],
        "p_mark": text[start:end],
        "p_after": text[end:],
    }
    return templates.TemplateResponse(request, "passage.html", context)


def _span(hl: str | None, length: int) -> tuple[int, int]:
    """The highlighted sentence's offsets from `?hl=START-END`, or an empty span when absent or invalid."""
    match = _SPAN.fullmatch(hl or "")
    if match:
        start, end = int(match.group(1)), int(match.group(2))
        if 0 <= start < end <= length:
            return start, end
    return 0, 0


@assets.get("/favicon.ico")
def favicon(request: Request) -> Response:
    return FileResponse(request.app.state.web / "static" / "favicon.svg", media_type="image/svg+xml")


@router.get("/chat")
def chat_page(request: Request, templates: TemplatesDep) -> Response:
    return templates.TemplateResponse(request, "chat.html", {})


def _error(request: Request, templates: TemplatesDep, status: int, detail: str) -> Response:
    return templates.TemplateResponse(request, "error.html", {"status": status, "detail": detail}, status_code=status)
