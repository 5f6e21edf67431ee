"""Passages and documents by id, so that a citation can be shown in its context."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from service.deps import EngineDep
from service.present import document_dict, passage_dict
from service.schemas import DocumentOut, ErrorOut, PassageOut
from service.validation import DOC_ID, PASSAGE_ID

router = APIRouter(prefix="/api", tags=["library"])

_ERRORS = {404: {"model": ErrorOut}, 422: {"model": ErrorOut}, 503: {"model": ErrorOut}}


@router.get("/passages/{passage_id}", response_model=PassageOut, responses=_ERRORS)
def passage(engine: EngineDep, passage_id: Annotated[str, Path()]) -> dict:
    """One passage with its document's id, title, source and offsets in the document."""
    if not PASSAGE_ID.fullmatch(passage_id):
        raise HTTPException(422, f"The passage id '{passage_id[:40]}' is malformed; passage ids are p- and 16 hexadecimal digits.")
    found = engine.passage(passage_id)
    if found is None:
        raise HTTPException(404, f"There is no passage {passage_id} in this index.")
    return passage_dict(found)


@router.get("/documents/{doc_id}", response_model=DocumentOut, responses=_ERRORS)
def document(engine: EngineDep, doc_id: Annotated[str, Path()]) -> dict:
    """The cleaned text of a document and its metadata; passage offsets index into this text."""
    if not DOC_ID.fullmatch(doc_id):
        raise HTTPException(422, f"The document id '{doc_id[:40]}' is malformed; document ids are d- and 16 hexadecimal digits.")
    found = engine.document(doc_id)
    if found is None:
        raise HTTPException(404, f"There is no document {doc_id} in this index.")
    return document_dict(found)
