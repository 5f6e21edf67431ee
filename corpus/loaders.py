"""Loading documents from files and folders: plain text, Markdown, reStructuredText, HTML, PDF and BEIR corpus.jsonl.

A file that cannot be read is reported as `Skipped` with a reason in words; loading goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from corpus.html import html_to_text
from corpus.titles import html_title, pdf_title

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".rst", ".rest"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
PDF_SUFFIXES = frozenset({".pdf"})
BEIR_SUFFIXES = frozenset({".jsonl"})
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | BEIR_SUFFIXES
META_SUFFIX = ".meta.json"
# Larger files are not documents a person wrote; reading them would only exhaust memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawDocument:
    """A document as loaded, before cleaning. `pages` is set for paged sources (PDF).

    `title_in_text`: the text may open with its own title (a file does; a BEIR record's heading is made
    by the loader to situate its passages). Cleaning then lifts that opening title out of the text, and
    takes it as the title when `title` is None; a None title with nothing to lift gives the file name.
    """

    source: str
    title: str | None
    text: str
    pages: tuple[str, ...] | None = None
    external_id: str | None = None
    title_in_text: bool = False
    sha256: str | None = None  # of the file's bytes (corpus.model.Document.sha256)


@dataclass(frozen=True, slots=True)
class Skipped:
    source: str
    reason: str


class LoadError(Exception):
    """A file that cannot be turned into a document; the message says why, in words."""


class UnsupportedFile(LoadError):
    """A file of a type no loader reads."""


# What an upload may be: one document a file (a BEIR corpus is a collection, for `cited build`).
UPLOAD_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES


def load_upload(name: str, data: bytes) -> list[RawDocument]:
    """The document in an uploaded file called `name`, read exactly as a file of that name on disk would be, with
    `name` as its source. Raises UnsupportedFile for a type no loader reads, LoadError for one that cannot be read."""
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        accepted = ", ".join(sorted(UPLOAD_SUFFIXES))
        raise UnsupportedFile(f"files of type '{suffix or name}' cannot be indexed; send one of {accepted}")
    with tempfile.TemporaryDirectory(prefix="cited-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        return [replace(r, source=name) for r in load_file(path)]


def display_source(path: Path) -> str:
    """The path as a user would cite it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Skipped]]:
    """The supported files under `paths` (folders walked recursively, in sorted order)."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    candidate = Path(root) / name
                    if name.startswith(".") or name.endswith(META_SUFFIX):
                        continue
                    if candidate.suffix.lower() in SUPPORTED:
                        files.append(candidate)
                    else:
                        skipped.append(Skipped(display_source(candidate), f"unsupported file type '{candidate.suffix or name}'"))
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED:
                files.append(path)
            else:
                skipped.append(Skipped(display_source(path), f"unsupported file type '{path.suffix or path.name}'"))
        else:
            skipped.append(Skipped(str(raw), "no such file or folder"))
    return files, skipped


def load_paths(paths: Iterable[str | Path]) -> tuple[list[RawDocument], list[Skipped]]:
    """Every document under `paths`, and every file that was skipped with the reason."""
    files, skipped = discover(paths)
    documents: list[RawDocument] = []
    for path in files:
        try:
            loaded = list(load_file(path))
        except LoadError as exc:
            log.warning("skipped %s: %s", display_source(path), exc)
            skipped.append(Skipped(display_source(path), str(exc)))
            continue
        if not loaded:
            log.warning("skipped %s: it holds no text", display_source(path))
            skipped.append(Skipped(display_source(path), "it holds no text"))
        documents.extend(loaded)
    return documents, skipped


def load_file(path: Path) -> Iterator[RawDocument]:
    """The documents in one file (one, except for a BEIR corpus.jsonl)."""
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LoadError(f"cannot be read ({exc.strerror})") from exc
    if size == 0:
        raise LoadError("the file is empty")
    if size > MAX_FILE_BYTES:
        raise LoadError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    digest = file_sha256(path)
    if suffix in BEIR_SUFFIXES:
        yield from (replace(r, sha256=digest) for r in load_beir(path))
        return
    source = display_source(path)
    # The sidecar's title wins; otherwise the document's own, found here (HTML, PDF metadata) or in its
    # cleaned text (an opening heading or title line); the file name only when it names nothing.
    meta_title = _meta_title(path)
    if suffix in PDF_SUFFIXES:
        pages = _pdf_pages(path)
        if any(p.strip() for p in pages):
            yield RawDocument(source, meta_title or _pdf_title(path), "", pages, title_in_text=True, sha256=digest)
        return
    raw = _read_text(path)
    if suffix in HTML_SUFFIXES:
        text, html_title = _html_text(raw)
        title = meta_title or html_title
    else:
        text, title = raw, meta_title
    if text.strip():
        yield RawDocument(source, title, text, title_in_text=True, sha256=digest)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise LoadError(f"cannot be read ({exc.strerror})") from exc


def load_beir(path: Path) -> Iterator[RawDocument]:
    """BEIR corpus.jsonl: one JSON object a line with `_id`, `title` and `text`."""
    source = display_source(path)
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                doc_id, text = str(record["_id"]), record.get("text") or ""
                title = record.get("title") or ""
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise LoadError(f"line {number} is not a BEIR record with '_id' and 'text' ({exc})") from exc
            if not isinstance(text, str) or not isinstance(title, str):
                raise LoadError(f"line {number}: 'text' and 'title' must be strings")
            if text.strip():
                body = f"# {title}\n\n{text}" if title.strip() else text
                yield RawDocument(f"{source}#{doc_id}", title or doc_id, body, external_id=doc_id)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot be read ({exc.strerror})") from exc
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # UTF-16 is full of NUL bytes, so its byte-order mark is checked before the binary test.
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise LoadError("it starts like UTF-16 text but is not valid UTF-16") from exc
    if b"\x00" in data[:8192]:
        raise LoadError("it is a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise LoadError("it is not valid UTF-8 text") from exc
    log.warning("%s is not UTF-8; read it as Windows-1252", display_source(path))
    return text


def _html_text(raw: str) -> tuple[str, str | None]:
    """Main text of a page (headings, lists, asides and notes kept; see `corpus.html`), and its title."""
    text = html_to_text(raw)
    if not text.strip():
        # A page of nothing but furniture or links: take all its visible text rather than nothing.
        import trafilatura

        text = trafilatura.html2txt(raw) or ""
    return text, _page_title(raw)


def _page_title(raw: str) -> str | None:
    """The page's `<title>` or `<h1>` (see `titles.html_title`), else whatever title its metadata gives."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(raw)
    if tree is not None:
        title = html_title(tree.findtext(".//title"), [h1.text_content() for h1 in tree.iterfind(".//h1")])
        if title:
            return title
    metadata = trafilatura.extract_metadata(raw)
    return metadata.title if metadata and metadata.title else None


def _pdf_pages(path: Path) -> tuple[str, ...]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise LoadError("the PDF is encrypted")
        return tuple(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise LoadError(f"not a readable PDF ({exc})") from exc


def _pdf_title(path: Path) -> str | None:
    from pypdf import PdfReader

    try:
        metadata = PdfReader(path).metadata
        title = metadata.get("/Title") if metadata else None
    except Exception:  # noqa: BLE001 - a missing title is no reason to skip a readable PDF
        return None
    return pdf_title(str(title)) if title else None


def _meta_title(path: Path) -> str | None:
    """Title from a sidecar `<file>.meta.json` ({"title": ...}), when there is one."""
    meta = path.with_name(path.name + META_SUFFIX)
    if not meta.is_file():
        return None
    try:
        title = json.loads(meta.read_text(encoding="utf-8")).get("title")
    except (OSError, ValueError, AttributeError):
        log.warning("ignored %s: not a JSON object with a title", display_source(meta))
        return None
    return title.strip() if isinstance(title, str) and title.strip() else None
