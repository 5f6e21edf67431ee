"""The JSON shapes of ../shared/docs/API.md, built from engine results; shared by the CLI and the HTTP API."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from corpus.model import Document, Passage
from index.answer import Answer
from index.evidence import Result, SearchOutcome


def passage_dict(passage: Passage) -> dict[str, Any]:
    return {
        "passage_id": passage.passage_id,
        "text": passage.text,
        "context": passage.context,
        "doc_id": passage.doc_id,
        "title": passage.title,
        "source": passage.source,
        "start": passage.start,
        "end": passage.end,
        "page": passage.page,
        "also_at": [{"doc_id": loc.doc_id, "start": loc.start, "end": loc.end} for loc in passage.also_at],
    }


def result_dict(result: Result) -> dict[str, Any]:
    highlight = result.highlight
    return {
        "rank": result.rank,
        "score": result.score,
        **passage_dict(result.passage),
        "highlight": None
        if highlight is None
        else {"start": highlight.start, "end": highlight.end, "text": highlight.text},
    }


def search_dict(outcome: SearchOutcome) -> dict[str, Any]:
    return {
        "query": outcome.query.standalone,
        "answerable": outcome.answerable,
        "took_ms": outcome.took_ms,
        "results": [result_dict(r) for r in outcome.results],
    }


def answer_dict(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "citations": [{"n": c.n, **result_dict(c.result)} for c in answer.citations],
    }


def document_dict(document: Document) -> dict[str, Any]:
    return {
        "doc_id": document.doc_id,
        "title": document.title,
        "source": document.source,
        "text": document.text,
        "pages": [{"page": n, "start": s, "end": e} for n, s, e in document.pages],
        "external_id": document.external_id,
    }


def json_response(content: dict[str, Any]) -> Response:
    """`content`, one of the shapes above, as a JSON response written by orjson. A route that returns a dict has
    FastAPI validate it against the route's response model and then serialise it: 0.1-0.4 ms a search, some ten
    times orjson's writing of the same bytes. The response models still describe every route (OpenAPI), and the
    contract tests check each response against them; the values here are the same as the models' (numpy scalars
    written as numbers, NaN as null)."""
    return Response(orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")
