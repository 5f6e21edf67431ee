"""Search, ask and chat: the question-answering endpoints of the JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from index.config import Mode
from index.filters import Filter
from service.deps import EngineDep, ReaderDep
from service.present import answer_dict, json_response, search_dict
from service.schemas import AskOut, AskRequest, ChatOut, ChatRequest, ErrorOut, FilterItems, QueryText, SearchOut
from service.validation import MAX_K

router = APIRouter(prefix="/api", tags=["answers"])

_ERRORS = {
    400: {"model": ErrorOut, "description": "malformed JSON"},
    413: {"model": ErrorOut, "description": "request body over 64 KiB"},
    422: {"model": ErrorOut, "description": "invalid input, explained in one sentence"},
    503: {"model": ErrorOut, "description": "the index is not loaded yet"},
}


@router.get("/search", response_model=SearchOut, responses=_ERRORS)
def search(
    engine: EngineDep,
    access: ReaderDep,
    q: Annotated[QueryText, Query(description="the question or keywords", examples=["who co-chairs the Call to Action IOWG"])],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="how many passages, 1..50")] = 5,
    mode: Mode = Mode.HYBRID,
    source: Annotated[FilterItems | None, Query(description="only documents whose source matches this glob (repeatable)")] = None,
    doc_id: Annotated[FilterItems | None, Query(description="only this document (repeatable)")] = None,
) -> Response:
    """Ranked cited passages, each with its best-answering sentence highlighted; `source` and `doc_id` restrict them
    to matching documents."""
    where = Filter.of(source, doc_id) if source is not None or doc_id is not None else None
    return json_response(search_dict(engine.search(engine.query(q, mode), k, access.narrow(where))))


@router.post("/ask", response_model=AskOut, responses=_ERRORS)
def ask(engine: EngineDep, access: ReaderDep, body: AskRequest) -> Response:
    """An extractive answer: sentences taken verbatim from the cited passages, each marked [n]."""
    return json_response(answer_dict(engine.ask(engine.query(body.question, body.mode), body.k, access.narrow(body.where()))))


@router.post("/chat", response_model=ChatOut, responses=_ERRORS)
def chat(engine: EngineDep, access: ReaderDep, body: ChatRequest) -> Response:
    """Answers the last user message; earlier user messages make a follow-up standalone (see rewritten_query)."""
    *history, turn = body.user_turns()
    query = engine.query(turn, body.mode, history)
    found = answer_dict(engine.ask(query, body.k, access.narrow(body.where())))
    return json_response({
        "question": query.text,
        "rewritten_query": query.standalone,
        "answer": found["answer"],
        "abstained": found["abstained"],
        "citations": found["citations"],
    })
