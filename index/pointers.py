"""Sentences that cannot answer: a bare link, a pointer to somewhere else ("For more information, see:",
"Click here", "See also …"), or a heading — a short label without a verb. Highlighting and answers pass them over
when the passage has another sentence. General rules of English prose and web pages, no corpus's words."""

from __future__ import annotations

import enum
import re
from functools import lru_cache

_URL = re.compile(r"(?:https?://|ftp://|www\.)\S+|\b[\w.-]+@[\w-]+\.[\w.]+\b", re.IGNORECASE)
# A sentence made mostly of addresses is a link, whatever words surround it.
LINK_SHARE = 0.5
# Openings that send the reader elsewhere whatever follows ("See also …", "Click here", "Read more").
_POINTING_OPENING = re.compile(
    r"^\W*(?:please )?(?:see\b|cf\.|click\b|(?:read|learn|view|see|show) (?:more|less|all)\b)", re.IGNORECASE
)
# Openings that point only together with a pointing word, an address or a closing ':' ("For more information,
# contact …"); alone they can begin a statement ("More information is needed on …").
_WEAK_OPENING = re.compile(
    r"^\W*(?:(?:for|to get|to find) )?(?:more|further|additional|full) (?:information|info|details)\b|^\W*for details\b",
    re.IGNORECASE,
)
# Words that say the matter is elsewhere: with a weak opening, or in a sentence ending with ':' (or with an
# address after a ':').
_POINTING_WORDS = re.compile(
    r"\b(?:see|visit|click|contact|refer to|consult|go to|available (?:at|on|from|here|online)|can be found|"
    r"found (?:at|on|here)|(?:more|further|additional) (?:information|info|details)|read more|learn more|"
    r"links?|website|web ?page|page)\b",
    re.IGNORECASE,
)
# Finite-verb evidence for telling a sentence from a heading without a tagger: auxiliaries and modals, the
# commonest verbs of reporting prose in their finite forms (and base forms that are seldom nouns), and past forms
# ending in -ed.
_FINITE = frozenset(
    """
    am is are was were be been being has have had do does did will would shall should can could may might must
    isn't aren't wasn't weren't hasn't haven't hadn't doesn't don't didn't won't wouldn't can't couldn't
    says said makes made takes took gives gave gets got goes went comes came shows showed knows knew leads led
    holds held runs ran keeps kept brings brought begins began finds found becomes became seems means meant
    includes contains provides supports helps works remains continues serves requires allows
    include contain provide require allow remain become seem
    """.split()
)
_PAST = re.compile(r"^[a-z]{3,}(?:ed|ied)$")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
_INTRODUCES = re.compile(r":[ \t]*\n\s*\S")
HEADING_WORDS = 12  # a heading is a short line: at most this many words


class Kind(enum.StrEnum):
    ANSWER = "answer"  # a sentence that can answer
    LINK = "link"  # mostly an address
    POINTER = "pointer"  # sends the reader elsewhere
    HEADING = "heading"  # a label without a verb


def link_share(sentence: str) -> float:
    """The share of the sentence's non-space characters that are web or mail addresses."""
    letters = sum(not c.isspace() for c in sentence)
    if not letters:
        return 0.0
    return sum(len(m.group(0)) for m in _URL.finditer(sentence)) / letters


def is_pointer(sentence: str) -> bool:
    """It sends the reader elsewhere: opens with "See also", "Click here", "Read more"…; or opens with "For more
    information"… and points (a pointing word, an address, a closing ':'); or says "see", "visit", "link"… and
    ends with ':', or with an address after one; or is a label without a verb and the address it introduces."""
    if _POINTING_OPENING.search(sentence):
        return True
    has_link = _URL.search(sentence) is not None
    before_link = _URL.split(sentence, maxsplit=1)[0].rstrip() if has_link else sentence.rstrip()
    if _WEAK_OPENING.search(sentence):
        rest = _WEAK_OPENING.sub("", sentence, count=1)
        return has_link or before_link.endswith(":") or bool(_POINTING_WORDS.search(rest))
    if has_link and before_link.endswith(":") and not has_finite_verb(before_link):
        return True  # a label and its address: "For Win32, OSX, Linux:" and a download link
    return before_link.endswith(":") and bool(_POINTING_WORDS.search(before_link))


def has_finite_verb(sentence: str) -> bool:
    """Some word reads as a finite verb (an auxiliary, a common finite form, a past form in -ed)."""
    words = [w.lower() for w in re.findall(r"[A-Za-z’']+", sentence)]
    return any(w.replace("’", "'") in _FINITE or _PAST.match(w) for w in words)


def is_heading(sentence: str) -> bool:
    """A short line that labels rather than states: no closing full stop, at most HEADING_WORDS words, and no
    word that reads as a finite verb (a trailing ':' is allowed: "Key results:"). A line ending in ':' with more
    lines after it is no heading but what it introduces, a command with its lead-in ("On Windows, run:" and the
    command: corpus/structure.py keeps a short one with the line that introduces it)."""
    text = sentence.strip()
    if not text or _TERMINAL.search(text) or _INTRODUCES.search(text):
        return False
    words = text.rstrip(":").split()
    return len(words) <= HEADING_WORDS and not has_finite_verb(text)


@lru_cache(maxsize=65536)  # asked of the same sentences by many queries
def kind(sentence: str) -> Kind:
    if link_share(sentence) >= LINK_SHARE:
        return Kind.LINK
    if is_pointer(sentence):
        return Kind.POINTER
    if is_heading(sentence):
        return Kind.HEADING
    return Kind.ANSWER


def can_answer(sentence: str) -> bool:
    """Neither a bare link, nor a pointer elsewhere, nor a heading."""
    return kind(sentence) is Kind.ANSWER
