"""The collection over HTTP: list the documents (newest first), add or replace one (JSON text or a multipart
upload) and remove one. The writing endpoints exist only with CITED_ADMIN_KEY or a keys file (then for keys with
the write scope, within their sources); each change is published as a new build of the index (index/changes.py)
and served before the response leaves."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from corpus.loaders import LoadError, RawDocument, UnsupportedFile, load_upload
from corpus.model import Document
from corpus.pipeline import clean_documents
from index.changes import ChangeResult, UnknownDocument, apply_changes
from index.manifest import IndexFolderError
from service.deps import EngineDep, ReaderDep, SettingsDep, WriterDep
from service.errors import describe
from service.runtime import follow
from service.schemas import DocumentAddedOut, DocumentIn, DocumentListOut, ErrorOut
from service.settings import Settings

router = APIRouter(prefix="/api", tags=["documents"])
writer = APIRouter(prefix="/api", tags=["documents"])

_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no key or an unknown one (X-Admin-Key, or with a keys file Authorization: Bearer)"},
    403: {"model": ErrorOut, "description": "the key lacks the write scope, or the document is outside its sources"},
    413: {"model": ErrorOut, "description": "an upload over CITED_MAX_UPLOAD_MB"},
    415: {"model": ErrorOut, "description": "a file of a type that cannot be indexed"},
    422: {"model": ErrorOut, "description": "an empty, binary or unreadable document, explained in a sentence"},
    503: {"model": ErrorOut, "description": "the index is not loaded yet"},
}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": ".txt, .md, .html or .pdf"},
                        "title": {"type": "string"},
                        "source": {"type": "string", "description": "default: the file's name"},
                    },
                }
            },
            "application/json": {"schema": DocumentIn.model_json_schema()},
        },
    }
}


@router.get("/documents", response_model=DocumentListOut, responses={422: {"model": ErrorOut}, 503: {"model": ErrorOut}})
def documents(
    engine: EngineDep,
    access: ReaderDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    """The documents in the index (those the key may see), newest first, a page at a time."""
    if engine.store is None:
        raise HTTPException(422, "A split index cannot list its documents yet.")
    total, listed = engine.document_list(offset, limit, access.narrow(None))
    return {"total": total, "offset": offset, "limit": limit, "documents": [asdict(d) for d in listed]}


@writer.post("/documents", status_code=201, response_model=DocumentAddedOut, responses=_WRITE_ERRORS, openapi_extra=_UPLOAD_BODY)
async def add_document(request: Request, engine: EngineDep, settings: SettingsDep, access: WriterDep) -> DocumentAddedOut:
    """Add a document, or replace the one of the same source; it is searchable when the response arrives."""
    document = await _document_from(request)
    where = access.narrow(None)
    if where is not None and not where.matches(document.doc_id, document.source):
        raise HTTPException(403, f"The key '{access.name}' may not write documents whose source is {document.source[:200]}.")
    result = await run_in_threadpool(_publish, request, settings, [document], [])
    stored = next((d for d in (*result.added, *result.replaced.values(), *result.unchanged) if d.source == document.source), document)
    passages = result.passages.get(stored.doc_id)
    if passages is None:
        store = request.app.state.engine.store
        passages = store.passage_counts([stored.doc_id]).get(stored.doc_id, 0) if store is not None else 0
    return DocumentAddedOut(
        doc_id=stored.doc_id, title=stored.title, source=stored.source, passages=passages, replaced=bool(result.replaced)
    )


@writer.delete("/documents/{doc_id}", status_code=204, responses={404: {"model": ErrorOut}, **_WRITE_ERRORS})
def remove_document(request: Request, engine: EngineDep, doc_id: str, settings: SettingsDep, access: WriterDep) -> Response:
    """Remove a document: from then on no search, answer, passage or document request returns anything of it."""
    where = access.narrow(None)
    if where is not None and engine.document(doc_id, where) is None:  # outside the key's sources: as if unknown
        raise HTTPException(404, f"There is no document {doc_id[:40]} in this index.")
    try:
        _publish(request, settings, [], [doc_id])
    except UnknownDocument:
        raise HTTPException(404, f"There is no document {doc_id[:40]} in this index.") from None
    return Response(status_code=204)


def _publish(request: Request, settings: Settings, documents: list[Document], remove: list[str]) -> ChangeResult:
    """Apply the change to the index folder, then serve the build it published."""
    state = request.app.state
    try:
        result = apply_changes(settings.index_dir, documents, remove, state.engine.embedder)
    except IndexFolderError as exc:
        if isinstance(exc, UnknownDocument):
            raise
        raise HTTPException(409, f"The index was not changed: {exc}.") from None
    follow(state, settings)
    return result


async def _document_from(request: Request) -> Document:
    """The cleaned document a request sends, or a 4xx with a sentence."""
    kind = request.headers.get("content-type", "").lower()
    if kind.startswith("multipart/form-data"):
        raw = await _uploaded(request)
    elif "json" in kind:
        raw = _given(await request.body())
    else:
        raise HTTPException(415, "Send a file as multipart/form-data (field 'file') or a JSON object with 'text'.")
    documents = clean_documents([raw])
    if not documents:
        raise HTTPException(422, "The document holds no text to index once cleaned.")
    return documents[0]


async def _uploaded(request: Request) -> RawDocument:
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception as exc:  # noqa: BLE001 - the multipart parser's errors are of several kinds, all the client's
        raise HTTPException(422, f"The multipart body cannot be read ({exc}).") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise HTTPException(422, "The upload has no file; send it in the form field 'file', with its file name.")
    data = await upload.read()
    title, source = (form.get(name) for name in ("title", "source"))
    name = source if isinstance(source, str) and source.strip() else upload.filename
    try:
        found = load_upload(name, data)
    except UnsupportedFile as exc:
        raise HTTPException(415, f"The file {upload.filename[:100]} was not indexed: {exc}.") from None
    except LoadError as exc:
        raise HTTPException(422, f"The file {upload.filename[:100]} was not indexed: {exc}.") from None
    if not found:
        raise HTTPException(422, f"The file {upload.filename[:100]} holds no text to index.")
    return replace(found[0], title=title.strip()) if isinstance(title, str) and title.strip() else found[0]


def _given(body: bytes) -> RawDocument:
    try:
        given = DocumentIn.model_validate_json(body)
    except ValidationError as exc:
        status, sentence = describe(json.loads(exc.json()))
        raise HTTPException(status, sentence) from None
    digest = hashlib.sha256(given.text.encode("utf-8")).hexdigest()
    source = given.source or f"uploads/{digest[:16]}.txt"
    return RawDocument(source, given.title, given.text, title_in_text=True, sha256=digest)
