"""Titles that come from the document itself: its opening heading or title line, an HTML page's
`<title>` or `<h1>`, a PDF's metadata; the humanised file name only when the document names nothing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from corpus.model import normalise
from corpus.structure import BULLET, is_adornment, underlines, wrap_width

MAX_TITLE_WORDS = 12
MAX_TITLE_CHARS = 100
# How many lines of a text the opening title is looked for in (the rest is one span: a 64 MB file is not split).
_OPENING_LINES = 64
# How far into a Markdown file a first-level heading still names the document (badges, a preamble).
_H1_SEARCH_LINES = 20

_H1 = re.compile(r"^\s{0,3}#\s+(.*?)(?:\s+#+)?\s*$")
# A line that ends a sentence or leads into what follows: a full stop, comma, colon, semicolon or ellipsis
# (closing quotes and brackets looked through). A title may end in "?" or "!".
_ENDS_PROSE = re.compile(r"[.,:;…][\"'”’)\]]*$")
# Markup and addresses: a badge or a link line is not a title.
_MARKUP = re.compile(r"\]\(|://|^[<|>!\[]")
# What PDF producers put in the title field when the author gave none: the source file's name.
_FILE_NAME = re.compile(r"\.(?:docx?|odt|rtf|pdf|tex|dvi|indd|pptx?|xlsx?|txt|html?)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TitleLine:
    """A title found at the start of a text; `text[end:]` is the body, from its first non-blank line."""

    title: str
    end: int


def same_title(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)


def title_line(text: str) -> TitleLine | None:
    """The title a text opens with, and where its body starts; None when the first line is no title.

    A title is a first-level Markdown heading (`# Title`), a setext or reStructuredText heading (a line
    underlined, or over- and underlined, with one repeated punctuation character), or a short plain line
    that reads like a title: at most 12 words and 100 characters, not ending like a sentence, not a
    bullet, and followed by body text rather than running on into it. A text that is only a title has
    no body, so its one line is content, not a title.
    """
    lines = _lines(text, _OPENING_LINES)
    first = next((i for i, (s, e) in enumerate(lines) if text[s:e].strip()), None)
    if first is None:
        return None
    line, second, third = (text[slice(*lines[i])] if i < len(lines) else "" for i in range(first, first + 3))
    title: str | None = None
    last = first
    if match := _H1.match(line):
        title = match.group(1).strip()
    elif is_adornment(line) and second.strip() and third.rstrip() == line.rstrip():
        title, last = second.strip(), first + 2
    elif underlines(second, line):
        title, last = line.strip(), first + 1
    elif _reads_like_title(line, second, wrap_width(text)):
        title = line.strip()
    if not title:
        return None
    body = next((s for s, e in lines[last + 1 :] if text[s:e].strip()), None)
    return TitleLine(title, body) if body is not None else None


def first_heading(text: str) -> str | None:
    """The first first-level Markdown heading near the top, when the text does not open with its title."""
    for line in text.split("\n", _H1_SEARCH_LINES)[:_H1_SEARCH_LINES]:
        if match := _H1.match(line):
            return match.group(1).strip() or None
    return None


def html_title(title: str | None, h1s: Sequence[str] = ()) -> str | None:
    """A page's `<title>`, or the `<h1>` it holds with a site name around it; the first `<h1>` without one.

    "Chapter 3. Foo — Debian Handbook" with the `<h1>` "Chapter 3. Foo" gives "Chapter 3. Foo": the
    site's part recurs on every page and tells one page from another by nothing. Of several `<h1>` the
    title holds (a logo "Debian" and the chapter's), the longest is the page's own.
    """
    title = _collapse(title)
    headings = [h for h in map(_collapse, h1s) if h]
    held = [h for h in headings if title and normalise(h) in normalise(title)]
    return max(held, key=len) if held else title or next(iter(headings), None)


def pdf_title(metadata_title: str | None) -> str | None:
    """A PDF's metadata title, unless it is only the name of the file the PDF was made from."""
    title = _collapse(metadata_title)
    if not title or _FILE_NAME.search(title) or title.casefold().startswith("untitled"):
        return None
    return title


def title_from_name(source: str) -> str:
    """The last resort: the file name, humanised ("annual-report_2024.txt" -> "Annual report 2024")."""
    path = PurePosixPath(source.split("#", 1)[0])
    return path.stem.replace("_", " ").replace("-", " ").strip().capitalize() or path.name or source


def _lines(text: str, most: int) -> list[tuple[int, int]]:
    """Spans of the first `most` lines; the last span runs to the end of the text."""
    spans, pos = [], 0
    for line in text.split("\n", most - 1):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _reads_like_title(line: str, next_line: str, width: int | None) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > MAX_TITLE_CHARS:
        return False
    if len(stripped.split(maxsplit=MAX_TITLE_WORDS)) > MAX_TITLE_WORDS:
        return False
    if stripped[0].islower() or stripped.startswith("#") or BULLET.match(line) or is_adornment(line):
        return False
    if _ENDS_PROSE.search(stripped) or _MARKUP.search(stripped) or not any(c.isalnum() for c in stripped):
        return False
    following = next_line.split(maxsplit=1)
    if not following:  # a blank line follows
        return True
    # The first line of a hard-wrapped paragraph is one the next line's first word would not have fitted
    # after. Without a known width, a next line going on in lower case runs on; with one, it may be a
    # byline ("Why TV Lost" / "by Paul Graham").
    if width is None:
        return not following[0][0].islower()
    return len(line.rstrip()) + 1 + len(following[0]) <= width


def _collapse(text: str | None) -> str | None:
    return " ".join(text.split()) or None if text else None
