"""The web pages: search (rendered on the server, works without JavaScript), a passage in its document, chat."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from index.answer import Answer
from index.evidence import Result
from service.deps import NOT_READY, TemplatesDep, ready_engine
from service.validation import MAX_K, PASSAGE_ID, check_question, sentence

router = APIRouter(tags=["pages"], include_in_schema=False, default_response_class=HTMLResponse)

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


@router.get("/")
def search_page(
    request: Request,
    templates: TemplatesDep,
    q: str | None = None,
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 5,
) -> Response:
    context: dict[str, Any] = {"q": q or "", "k": k, "answer": None, "cards": [], "error": None}
    status = 200
    if q is not None and q.strip():
        engine = ready_engine(request)
        try:
            check_question(q)
        except ValueError as exc:
            context["error"], status = sentence(str(exc)), 422
        else:
            if engine is None:
                context["error"], status = NOT_READY, 503
            else:
                answer = engine.ask(engine.query(q), k)
                context["answer"] = answer
                context["parts"] = answer_parts(answer)
                context["cards"] = [card(c.n, c.result) for c in answer.citations]
    return templates.TemplateResponse(request, "search.html", context, status_code=status)


@router.get("/passages/{passage_id}")
def passage_page(request: Request, templates: TemplatesDep, passage_id: str, hl: str | None = None) -> Response:
    engine = ready_engine(request)
    if engine is None:
        return _error(request, templates, 503, NOT_READY)
    if not PASSAGE_ID.fullmatch(passage_id):
        return _error(request, templates, 422, f"The passage id '{passage_id[:40]}' is malformed.")
    passage = engine.passage(passage_id)
    document = engine.document(passage.doc_id) if passage else None
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


@router.get("/favicon.ico")
def favicon(request: Request) -> Response:
    return FileResponse(request.app.state.web / "static" / "favicon.svg", media_type="image/svg+xml")


@router.get("/chat")
def chat_page(request: Request, templates: TemplatesDep) -> Response:
    return templates.TemplateResponse(request, "chat.html", {})


def _error(request: Request, templates: TemplatesDep, status: int, detail: str) -> Response:
    return templates.TemplateResponse(request, "error.html", {"status": status, "detail": detail}, status_code=status)
