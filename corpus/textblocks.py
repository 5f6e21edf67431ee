"""Rendered lines shared by the reStructuredText and Markdown readers (corpus/rst.py, corpus/markdown.py):
code and tables as fenced blocks, paragraphs rejoined, inline markup rendered outside verbatim lines."""

from __future__ import annotations

import re
from collections.abc import Callable

# A rendered line: its text and whether it is verbatim (code, a table, a heading's rule), which inline
# rendering must leave alone.
Line = tuple[str, bool]

_ADORNMENT = re.compile(r"\s*([!-/:-@\[-`{-~])\1{2,}\s*")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _code(out: list[Line], code: list[str]) -> list[Line]:
    """Code as it follows `out`: indented under a lead-in (a line ending in ":"), which
    `corpus.structure` reads as the code that lead-in introduces; fenced anywhere else."""
    while code and not code[0].strip():
        code = code[1:]
    previous = next((text for text, _ in reversed(out) if text.strip()), "")
    if previous.rstrip().endswith(":") and not _ADORNMENT.fullmatch(previous):
        depth = min((_indent(c) for c in code if c.strip()), default=0)
        pad = " " * (_indent(previous) + 4)
        while code and not code[-1].strip():
            code = code[:-1]
        return [(pad + c[depth:].rstrip() if c.strip() else "", True) for c in code]
    return _fence(code)


def _fence(code: list[str]) -> list[Line]:
    """Code lines as a fenced block, dedented; the fence outgrows any run of backticks in the code."""
    while code and not code[-1].strip():
        code = code[:-1]
    depth = min((_indent(c) for c in code if c.strip()), default=0)
    body = [c[depth:].rstrip() for c in code]
    longest = max((len(run) for c in body for run in re.findall(r"`+", c)), default=0)
    fence = "`" * max(3, longest + 1)
    return [(fence, True), *((c, True) for c in body), (fence, True)]


def _assemble(lines: list[Line], inline: Callable[[str], str]) -> str:
    """The lines joined, each paragraph of non-verbatim lines rendered inline as a whole (markup may
    wrap), blank runs collapsed to one blank line."""
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.extend(_reflow(inline("\n".join(paragraph)).split("\n")))
            paragraph.clear()

    for text, verbatim in lines:
        if verbatim:
            flush()
            out.append(text)
        elif text.strip():
            paragraph.append(text.rstrip())
        else:
            flush()
            if out and out[-1] != "":
                out.append("")
    flush()
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


# A line that starts a list item, a Markdown heading or a table row; the last two are lines of their own.
_OPENS_LINE = re.compile(r"\s*(?:[-*+•‣◦▪–]\s|\(?\d{1,3}[.)]\s|\(?[a-z][.)]\s|#{1,6}\s|\|)")
_WHOLE_LINE = re.compile(r"\s*(?:#{1,6}\s|\|)")


def _reflow(lines: list[str]) -> list[str]:
    """A paragraph's wrapped lines joined, as a renderer joins them; each list item and heading stays a line.

    Markup taken out of a hard-wrapped line shortens it, and a short line followed by one whose first
    word would have fitted reads as a heading to `corpus.structure`: joined, the question never arises.
    """
    out: list[str] = []
    for line in lines:
        if out and not _OPENS_LINE.match(line) and not _WHOLE_LINE.match(out[-1]):
            out[-1] = out[-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
    return out

def _block_end(lines: list[str], i: int, indent: int) -> int:
    """Where the block indented deeper than `indent` from line `i` ends (trailing blank lines left out)."""
    end = i
    for j in range(i, len(lines)):
        if lines[j].strip():
            if _indent(lines[j]) <= indent:
                break
            end = j + 1
    return end
