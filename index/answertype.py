"""What kind of answer a question asks for, and whether a sentence can supply it.

A question asking for a figure, a date or a person's name is answered only by a sentence that holds
one the question itself does not already give. This lets the engine abstain on near-topic questions
whose subject the corpus covers but whose asked-for fact it never states.
"""

from __future__ import annotations

import enum
import re
from functools import lru_cache

_ASKS_NUMBER = re.compile(
    r"\bhow (many|much|often|long|large|big)\b|\bwhat (percentage|percent|share|proportion|number|amount|budget|sum|"
    r"figure|total|size)\b|\bhow (?:much|many) \w+",
    re.IGNORECASE,
)
# "when" asks for a date at the head of a question ("When did…", "Since when…"), not inside a clause
# ("…quickly when a new emergency breaks out?").
_ASKS_DATE = re.compile(
    r"^\W*(since |until |and |but )?when\b|\bwhen (did|does|do|is|was|were|will|are|has|have|had)\b(?!.*\bwhen\b)"
    r"|\b(what|which) (year|date|month|day)\b|\bin what year\b",
    re.IGNORECASE,
)
_ASKS_PERSON = re.compile(
    r"\bwho (is|was|are|were|heads|leads|led|directs|chairs)\b(?! (a|an) )|\bwhat is the name\b|\bwhat are the names\b|"
    r"\b(name|names) of (the )?(person|head|director|chair|leader|minister|coordinator|representative)",
    re.IGNORECASE,
)
_ASKS_LIST = re.compile(
    r"\b(which|what) (countries|agencies|entities|organi[sz]ations|programmes|programs|areas|milestones|members|"
    r"partners|groups|regions|activities|initiatives|measures|tools|examples)\b|\blist\b|\bname (all|the)\b|\ball the\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b", re.IGNORECASE
)
# A run of two or more capitalised words (not all-capitals acronyms): a proper name such as a person's.
_NAME = re.compile(r"\b([A-Z][a-zà-ÿ’'-]+(?:\s+(?:de|da|van|von|al|bin|[A-Z]\.?)?\s*[A-Z][a-zà-ÿ’'-]+)+)")


class Wants(enum.StrEnum):
    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    ANY = "any"


@lru_cache(maxsize=4096)  # asked once per sentence of every result: the same question many times over
def wants(question: str) -> Wants:
    if _ASKS_DATE.search(question):
        return Wants.DATE
    if _ASKS_NUMBER.search(question):
        return Wants.NUMBER
    if _ASKS_PERSON.search(question):
        return Wants.PERSON
    return Wants.ANY


def asks_for_list(question: str) -> bool:
    return bool(_ASKS_LIST.search(question))


def _numbers(text: str) -> set[str]:
    """Figures in `text`, leaving out those that are part of a name ("16 Days of Activism")."""
    found = set()
    for match in _NUMBER.finditer(text):
        after = text[match.end() : match.end() + 1]
        word = text[match.end() + 1 : match.end() + 12].split(" ")[0] if after[:1] == " " else ""
        if word[:1].isupper() and word[1:2].islower():
            continue
        found.add(match.group(0))
    return found


_LEADING = frozenset("a an the in on at as by for from of to under with and but this that these those".split())


def _names(text: str) -> set[str]:
    """Proper names (two or more capitalised words), lower-cased, without a sentence-initial function word."""
    found = set()
    for match in _NAME.finditer(text):
        words = re.sub(r"[’']s\b", "", match.group(1)).lower().split()
        while words and words[0] in _LEADING:
            words = words[1:]
        if len(words) >= 2:
            found.add(" ".join(words))
    return found


def supplies(question: str, sentence: str) -> bool:
    """Whether `sentence` holds the kind of fact the question asks for, beyond what the question gives."""
    kind = wants(question)
    if kind is Wants.NUMBER:
        return bool(_numbers(sentence) - _numbers(question))
    if kind is Wants.DATE:
        years = set(_YEAR.findall(sentence)) - set(_YEAR.findall(question))
        months = {m.lower() for m in _MONTH.findall(sentence)} - {m.lower() for m in _MONTH.findall(question)}
        return bool(years or months)
    if kind is Wants.PERSON:
        asked = re.sub(r"[’']s\b", "", question.lower())
        return any(name not in asked for name in _names(sentence))
    return True
