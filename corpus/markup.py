"""Lightweight markup (reStructuredText, Markdown) turned into the plain text a reader cites.

Inline markup goes (`:func:`sum`` reads "sum()", ``code`` "code", `a <url>`_ "a"); lines that are only
markup go (labels, comments, directive lines, index entries, a document's field list); code and tables
become fenced blocks, which `corpus.structure` keeps whole. Plain text passes through untouched.
"""

from __future__ import annotations

import re
from enum import Enum

from corpus.markdown import markdown_to_plain
from corpus.rst import rst_to_plain


class Markup(Enum):
    RST = "rst"
    MARKDOWN = "markdown"


_RST_NAMES = (".rst", ".rest", ".rst.txt")
_MARKDOWN_NAMES = (".md", ".markdown", ".md.txt")
# An HTML page's text is the HTML extraction's business, and a PDF's has no markup of its own.
_NOT_MARKUP = (".html", ".htm", ".xhtml", ".pdf")
# Within how much of a document markup is looked for, and how many marks make it markup.
_SAMPLE_CHARS = 200_000
_MIN_MARKS = 3
_RST_MARKS = re.compile(r"(?m)^\s*\.\. (?:[\w:-]+::|_[^:\n]+:)|(?<![\w`]):[a-z][\w:+-]*:`[^`\n]+`")
_MARKDOWN_MARKS = re.compile(r"(?m)^\s{0,3}(?:```|~~~)|!?\[[^\]\n]+\]\([^)\s]+\)|\*\*\S[^*\n]*\S\*\*")


def markup_of(source: str, text: str) -> Markup | None:
    """The markup a document is written in: by its name (`.rst`, `.rst.txt`, `.md`), else by its marks.

    A text file counts as reStructuredText or Markdown only when it holds several of that markup's marks
    (directives, labels and roles; code fences, links and bold), so prose with a stray asterisk keeps it.
    """
    name = source.split("#", 1)[0].lower()
    if name.endswith(_NOT_MARKUP):
        return None
    if name.endswith(_RST_NAMES):
        return Markup.RST
    if name.endswith(_MARKDOWN_NAMES):
        return Markup.MARKDOWN
    sample = text[:_SAMPLE_CHARS]
    rst = _count(_RST_MARKS, sample)
    markdown = _count(_MARKDOWN_MARKS, sample)
    if max(rst, markdown) < _MIN_MARKS:
        return None
    return Markup.RST if rst >= markdown else Markup.MARKDOWN


def _count(pattern: re.Pattern[str], text: str) -> int:
    n = 0
    for n, _ in enumerate(pattern.finditer(text), 1):
        if n >= _MIN_MARKS:
            break
    return n


def plain_text(source: str, text: str) -> str:
    """`text` with its markup rendered as plain text; unchanged when it is not markup."""
    markup = markup_of(source, text)
    if markup is None:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return rst_to_plain(text) if markup is Markup.RST else markdown_to_plain(text)
