"""The typed records that travel from corpus/ through index/ and service/ to eval/."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field

# Characters that render as nothing and only break comparisons.
INVISIBLE_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE_CHARACTERS), None)


def normalise(text: str) -> str:
    """Comparison form of a text: NFKC, invisible characters dropped, case-folded, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text)
    # Most text is ASCII (an O(1) test), and none of these characters is; a scan beats translate.
    if not folded.isascii() and any(c in folded for c in INVISIBLE_CHARACTERS):
        folded = folded.translate(_INVISIBLE)
    # str.split() splits on exactly the characters `\s` matches, several times faster than re.sub.
    return " ".join(folded.casefold().split())


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def passage_id_for(text: str) -> str:
    """Identity of a passage: derived from its normalised text, so equal text means equal id."""
    return "p-" + _digest(normalise(text))


def doc_id_for(source: str, text: str) -> str:
    """Identity of a document: its source name and cleaned text, stable across rebuilds."""
    return "d-" + _digest(source.rsplit("/", 1)[-1] + "\x00" + normalise(text))


@dataclass(frozen=True, slots=True)
class Location:
    """Where a duplicate of a kept passage also stands."""

    doc_id: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Document:
    """A cleaned document. `pages` holds (page number, start, end) spans when the source has pages."""

    doc_id: str
    title: str
    source: str
    text: str
    pages: tuple[tuple[int, int, int], ...] = ()
    external_id: str | None = None
    # SHA-256 of the file's bytes as read (of the text sent, for a document given as text): a file whose bytes are
    # unchanged need not be read, parsed or cleaned again to know that its document is unchanged.
    sha256: str | None = None

    def page_at(self, offset: int) -> int | None:
        for number, start, end in self.pages:
            if start <= offset < end:
                return number
        return None


@dataclass(frozen=True, slots=True)
class Passage:
    """One citable unit: a paragraph or a bullet, with the context that situates it.

    `document.text[start:end] == text` always holds for the document named by `doc_id`.
    """

    passage_id: str
    doc_id: str
    text: str
    start: int
    end: int
    context: str | None
    title: str
    source: str
    page: int | None = None
    also_at: tuple[Location, ...] = field(default=())

    def embedding_text(self) -> str:
        """What the dense encoder reads: the document's title, the lead-in or heading, then the passage. A title
        that is also the context (a one-section document) is read once."""
        head = [t for t in dict.fromkeys((self.title, self.context)) if t]
        return "\n".join([*head, self.text])
