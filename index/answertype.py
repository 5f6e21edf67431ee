"""What kind of answer a question asks for, and whether a sentence can supply it.

A question asking for a figure, a date or a name is answered only by a sentence that holds one the
question itself does not already give; a question about the holder of a personal role ("Who is the
Executive Director of…") needs a person's name, which an organisation's or a place's name is not.
This lets the engine abstain on near-topic questions whose subject the corpus covers but whose
asked-for fact it never states.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

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
# Roles held by a person rather than by an organisation ("chair" is left out: agencies chair groups).
_PERSON_ROLE = re.compile(
    r"\b(director|director[- ]general|president|minister|ambassador|coordinator|secretary|spokes(person|man|woman)|"
    r"envoy|commissioner|ceo|founder|chair(person|man|woman)|rapporteur|governor|mayor|officer|manager|adviser|"
    r"advisor|author|head of|chief|king|queen|person|people)\b",
    re.IGNORECASE,
)
_ASKS_LIST = re.compile(
    r"\b(which|what) (countries|agencies|entities|organi[sz]ations|programmes|programs|areas|milestones|members|"
    r"partners|groups|regions|activities|initiatives|measures|tools|examples)\b|\blist\b|\bname (all|the)\b|\ball the\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_QUOTED = re.compile(r"[\"“”«»]([^\"“”«»]{2,80})[\"“”«»]")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b", re.IGNORECASE
)
# A run of two or more capitalised words (not all-capitals acronyms): a proper name such as a person's.
_WORD = r"[A-Z][a-zà-ÿ’']+(?:-[A-Za-z][a-zà-ÿ’']*)*"  # "Gender-Related" is one word
_NAME = re.compile(rf"\b({_WORD}(?:\s+(?:de|da|van|von|al|bin|[A-Z]\.?)?\s*{_WORD})+)")


class Wants(enum.StrEnum):
    NUMBER = "number"
    DATE = "date"
    PERSON = "person"  # a person's name: "Who is the Executive Director of …"
    NAME = "name"  # a proper name, of a person or an organisation: "Who leads …"
    ANY = "any"


def wants(question: str) -> Wants:
    if _ASKS_DATE.search(question):
        return Wants.DATE
    if _ASKS_NUMBER.search(question):
        return Wants.NUMBER
    if _ASKS_PERSON.search(question):
        return Wants.PERSON if _PERSON_ROLE.search(question) else Wants.NAME
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


# Words of organisations', roles', places' and subjects' names, which a person's name does not contain: the
# designators of rule-based name recognition, in general English (nothing here is taken from one corpus).
_NOT_PERSONAL = frozenset(
    """
    united nations nation international national global regional world office organization organisation fund
    programme program group division department ministry commission committee council agency entity initiative
    network forum alliance partnership campaign coalition institute institution university college school
    foundation association union federation society league court tribunal assembly parliament congress senate
    government administration authority board panel mission system project framework strategy plan policy
    conference summit secretariat task force team unit centre center service bureau company corporation bank
    trust consortium facility platform hub
    director general coordinator resident secretary president minister officer manager chair chairperson
    commissioner ambassador representative envoy adviser advisor head chief executive deputy special high
    republic kingdom state states city province region coast island islands strip north south east west northern
    southern eastern western central pacific atlantic ocean sea river africa america asia europe middle
    rights human equality gender violence justice statistics development security peace health humanitarian
    women men girls boys children youth people persons day days week year action response guidelines reference
    expert experts joint transitional emergency emergencies crisis crises declaration convention act law report
    resolution agenda goals protocol treaty charter
    matrix tool toolkit handbook manual guide brief paper study survey index model standard principles indicator
    database portal website
    """.split()
)


def _person_names(text: str) -> set[str]:
    """The proper names in `text` that can be a person's: none of their words designates an organisation,
    a role, a place, a subject or a document (plural forms included)."""
    return {
        name for name in _names(text)
        if not any(word in _NOT_PERSONAL or word.rstrip("s") in _NOT_PERSONAL for word in re.split(r"[\s-]+", name))
    }


@dataclass(frozen=True, slots=True)
class Asked:
    """What a question asks for, and the specifics it already names: a sentence must supply something beyond them."""

    wants: Wants
    numbers: frozenset[str]
    years: frozenset[str]
    months: frozenset[str]
    names: frozenset[str]  # proper names and quoted terms the question spells, lower-cased
    folded: str  # the question lower-cased, possessives dropped: a name found in it is not news

    @classmethod
    def of(cls, question: str) -> Asked:
        return cls(
            wants(question),
            frozenset(_numbers(question)),
            frozenset(_YEAR.findall(question)),
            frozenset(m.lower() for m in _MONTH.findall(question)),
            frozenset(_names(question)) | frozenset(q.lower() for q in _QUOTED.findall(question) if q.strip()),
            re.sub(r"[’']s\b", "", question.lower()),
        )

    def supplied_by(self, sentence: str) -> bool:
        """Whether `sentence` holds the kind of fact asked for, beyond what the question gives."""
        kind = self.wants
        if kind is Wants.NUMBER:
            return bool(_numbers(sentence) - self.numbers)
        if kind is Wants.DATE:
            years = set(_YEAR.findall(sentence)) - self.years
            months = {m.lower() for m in _MONTH.findall(sentence)} - self.months
            return bool(years or months)
        if kind in (Wants.PERSON, Wants.NAME):
            names = _person_names(sentence) if kind is Wants.PERSON else _names(sentence)
            return any(name not in self.folded for name in names)
        return True
