"""Sentence boundaries as character spans, for splitting long paragraphs and for highlighting."""

from __future__ import annotations

import re

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    "e.g i.e etc vs mr mrs ms dr prof st no nos art para paras fig figs al approx dept est inc ltd "
    "co corp jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n op cit ibid cf vol pp".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9#@])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences of `text`, whitespace trimmed, covering all its words."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        word = re.search(r"([\w.]+)[.]+[\"'”’)\]]*$", text[start:end])
        if word and match.group(0).startswith(".") and _is_abbreviation(word.group(1)):
            continue
        _append(text, start, end, spans)
        start = end
    _append(text, start, len(text), spans)
    return spans


def _is_abbreviation(word: str) -> bool:
    lowered = word.lower().rstrip(".")
    # Single capitals ("J. Smith") and listed abbreviations do not end sentences.
    return lowered in _ABBREVIATIONS or (len(lowered) == 1 and lowered.isalpha())


def _append(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
