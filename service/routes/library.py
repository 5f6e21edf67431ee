"""Passages and documents by id, so that a citation can be shown in its context."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, HTTPException, Path

from service.deps import EngineDep, ReaderDep
from service.present import document_dict, passage_dict
from service.schemas import DocumentOut, ErrorOut, PassageOut
from service.validation import DOC_ID, PASSAGE_ID

router = APIRouter(prefix="/api", tags=["library"])
T = TypeVar("T")

_ERRORS = {404: {"model": ErrorOut}, 422: {"model": ErrorOut}, 503: {"model": ErrorOut}}


def _found(what: str, ident: str, pattern: re.Pattern[str], prefix: str, find: Callable[[str], T | None]) -> T:
    """The item `find` returns for a well-formed id; 422 for a malformed one, 404 for one the index lacks."""
    if not pattern.fullmatch(ident):
        raise HTTPException(422, f"The {what} id '{ident[:40]}' is malformed; {what} ids are {prefix} and 16 hexadecimal digits.")
    found = find(ident)
    if found is None:
        raise HTTPException(404, f"There is no {what} {ident} in this index.")
    return found


@router.get("/passages/{passage_id}", response_model=PassageOut, responses=_ERRORS)
def passage(engine: EngineDep, access: ReaderDep, passage_id: Annotated[str, Path()]) -> dict:
    """One passage with its document's id, title, source and offsets in the document (a document the key may see:
    one outside its sources answers 404 like an unknown id)."""
    where = access.narrow(None)
    return passage_dict(_found("passage", passage_id, PASSAGE_ID, "p-", lambda pid: engine.passage(pid, where)))


@router.get("/documents/{doc_id}", response_model=DocumentOut, responses=_ERRORS)
def document(engine: EngineDep, access: ReaderDep, doc_id: Annotated[str, Path()]) -> dict:
    """The cleaned text of a document and its metadata; passage offsets index into this text."""
    where = access.narrow(None)
    return document_dict(_found("document", doc_id, DOC_ID, "d-", lambda did: engine.document(did, where)))
