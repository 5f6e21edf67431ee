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
from functools import lru_cache

from index.terms import STOPWORDS, stem, tokens

_ASKS_NUMBER = re.compile(
    r"\bhow (many|much|often|long|large|big|old|far|fast|high|wide|deep|heavy|tall|soon|frequently)\b|"
    r"\bwhat (percentage|percent|share|proportion|number|amount|budget|sum|figure|total|size)\b|\bhow (?:much|many) \w+|"
    r"\b(what|which) (is|was|are|were) the (\w+ )?(number|amount|budget|cost|price|percentage|share|proportion|sum|"
    r"population|salary|revenue|funding)\b|"
    # a version or release is named by its number: "Which version first shipped…", "In which release was…"
    r"\b(which|what) (\w+ )?(version|release|port)\b",
    re.IGNORECASE,
)
# A setting's value: "What is the default value of…", "What is … set to by default?", "the maximum size of…".
_ASKS_VALUE = re.compile(
    r"\bby default\b|\bset to\b|\bwhat is the default\b|"
    r"\b(default|maximum|minimum|max|min|upper|lower|largest|smallest|biggest|highest|lowest)\s+(\w+\s+){0,2}(value|setting|size|length|limit|"
    r"level|number|timeout|interval|delay|port|age|duration|count)\b",
    re.IGNORECASE,
)
# "when" asks for a date at the head of a question ("When did…", "Since when…"), not inside a clause
# ("…quickly when a new emergency breaks out?") nor opening one ("When a domain lists several servers, which…").
_ASKS_DATE = re.compile(
    r"^\W*(since |until |and |but )?when\b(?!\s+(a|an|the|you|i|we|one|your|my|some|any|there|it|they)\b)|\bwhen (did|does|do|is|was|were|will|are|has|have|had)\b(?!.*\bwhen\b)"
    r"|\b(what|which) (\w+ )?(year|date|month|day)\b|\bin what year\b",
    re.IGNORECASE,
)
_ASKS_PERSON = re.compile(
    r"\bwho (is|was|are|were|heads|leads|led|directs|chairs)\b(?! (a|an) )|"
    # who did something once: "Who designed…", "Who wrote…", "Who founded…" (not "Who can apply…")
    r"\bwho (\w+ed|wrote|won|built|made|began|started|founded|invented|created|designed|developed|first \w+)\b|\bwhat is the name\b|\bwhat are the names\b|"
    # who does something now: "Who maintains…", "Who pays for…"
    r"\bwho (maintains|runs|owns|manages|funds|sponsors|develops|hosts|publishes|organi[sz]es|coordinates|oversees|pays)\b|"
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
# A place, named by a capitalised word: "Which city hosted…", "Where was … held?"
_ASKS_PLACE = re.compile(
    r"\b(which|what) (city|cities|country|countries|town|towns|place|places|venue|state|states|continent|island|islands|"
    r"region|regions)\b|"
    r"\bwhere\b.*\b(held|hosted|located|born|based|headquartered|founded|built)\b",
    re.IGNORECASE,
)
# An organisation, named by a proper name: "At which university…", "Which company makes…"
_ASKS_ORGANISATION = re.compile(
    r"\b(which|what) (\w+ )?(university|universities|company|companies|organi[sz]ation|institute|institution|firm|"
    r"vendor|publisher|foundation|corporation|laboratory|lab)\b",
    re.IGNORECASE,
)
_ASKS_LIST = re.compile(
    r"\b(which|what) (countries|agencies|entities|organi[sz]ations|programmes|programs|areas|milestones|members|"
    r"partners|groups|regions|activities|initiatives|measures|tools|examples)\b|\blist\b|\bname (all|the)\b|\ball the\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Figures spelled out ("thirty-odd developers", "three times", "millions of users"); "one" is left out, being
# mostly a pronoun.
_NUMBER_WORD = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    r"eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|"
    r"billions?|dozens?|twice|thrice|half)\b",
    re.IGNORECASE,
)
_ABOUT_MONEY = re.compile(
    r"\b(budget|cost|costs|funding|funds|money|price|spent|spend|salary|revenue|fee|fees|donations?|grants?|granted|"
    r"raised?|worth|paid|pay)\b", re.IGNORECASE)
# A sum: a currency sign or code beside a figure, or a figure in millions ("$5 million", "EUR 300", "2 billion").
_MONEY = re.compile(
    r"[$€£¥]\s?\d|\b(US\$|USD|EUR|GBP|CHF|JPY)\s?\d|\d[\d.,]*\s?(million|billion|thousand|dollars?|euros?|pounds?|"
    r"USD|EUR|GBP|CHF)\b", re.IGNORECASE)
# How often: "every half-hour", "daily", "three times a week".
_FREQUENCY = re.compile(r"\b(every|each|once|twice|hourly|daily|nightly|weekly|monthly|yearly|annually|times an?|per)\b",
                        re.IGNORECASE)
_AMOUNT = re.compile(r"\b\d+\.\d\d\b")  # "balance - 100.00": a sum written without its currency
_YES_NO = re.compile(r"\W*(can|could|does|do|did|is|are|was|were|will|would|should|may|might|has|have|had|must)\b",
                     re.IGNORECASE)
# "How many release-critical bugs…": the thing counted, whose figure an answer gives beside it ("… 25 bugs").
_COUNTED = re.compile(r"\b(?:how many|number of) ([\w-]+)(?: ([\w-]+))?", re.IGNORECASE)
_NEAR = 4  # words between a figure and the thing it counts ("25 United Nations entities")
# The values a setting takes that are words, not figures. "on", "off", "none" and the like are values only where a
# value stands ("is off", "set to on", "= true", "(default: none)"); elsewhere "On such systems…" is a preposition.
_LITERAL = re.compile(
    r"(?:\b(?:is|are|be|to|as|set|turned|switched|defaults?)\s+|[=:(`'\"“]\s*)"
    r"(on|off|true|false|none|null|enabled|disabled|empty)\b|\b(unlimited|infinite|zero)\b",
    re.IGNORECASE,
)
# A value stated as such: "By default, it is set to try", "defaults to lz4".
_STATED_VALUE = re.compile(
    r"\b(?:set to|defaults? to|defaults? is|default value is|default setting is)\s+(?:the |an? )?[`'\"“]?(\w(?:[\w.-]*\w)?)",
    re.IGNORECASE,
)
# A capitalised word that does not open its sentence: a candidate place name ("… took place in Bordeaux").
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9&]{1,9}\b")
_INNER_CAPITAL = re.compile(r"(?<=[a-z,;:)] )[A-Z][a-zà-ÿ]+(?:[- ][A-Z][a-zà-ÿ]+)*")
# A technical identifier: a setting, function, file or version name ("wal_buffers", "os.path.join", "NFSv4",
# "pg_dump", "max_connections"): what a question names as exactly as a proper name.
_IDENTIFIER = re.compile(r"(?<![\w.])(?=[\w.-]*[a-z])(?:[A-Za-z]\w*(?:[_.][A-Za-z0-9]\w*)+|[A-Za-z]+\d+[A-Za-z0-9]*|[a-z]+[A-Z]\w*)(?![\w])")
_QUOTED = re.compile(r"[\"“”«»]([^\"“”«»]{2,80})[\"“”«»]")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# A month is capitalised ("it may be" is the verb), and "May" before a pronoun is the verb too ("May I…").
_MONTH = re.compile(
    r"\b(January|February|March|April|May(?!\s+(?:I|we|you|he|she|it|they|one)\b)|June|July|August|"
    r"September|October|November|December)\b"
)
# A run of two or more capitalised words (not all-capitals acronyms): a proper name such as a person's.
_WORD = r"[A-Z][a-zà-ÿ’']+(?:-[A-Za-z][a-zà-ÿ’']*)*"  # "Gender-Related" is one word
_NAME = re.compile(rf"\b({_WORD}(?:\s+(?:de|da|van|von|al|bin|[A-Z]\.?)?\s*{_WORD})+)")


class Wants(enum.StrEnum):
    NUMBER = "number"
    MONEY = "money"  # a sum of money: a figure with its currency or scale ("US$ 2 million")
    DATE = "date"
    VALUE = "value"  # a setting's value: a figure, or a literal such as "off"
    PERSON = "person"  # a person's name: "Who is the Executive Director of …"
    NAME = "name"  # a proper name, of a person or an organisation: "Who leads …"
    PLACE = "place"  # a place's name: "Which city hosted …"
    ANY = "any"


def wants(question: str) -> Wants:
    if _YES_NO.match(question):
        return Wants.ANY  # "Can I put a limit on how long…" asks whether, not how long
    if _ASKS_DATE.search(question):
        return Wants.DATE
    if _ASKS_NUMBER.search(question):
        return Wants.MONEY if _ABOUT_MONEY.search(question) else Wants.NUMBER
    if _ASKS_VALUE.search(question):
        return Wants.VALUE
    if _ASKS_PLACE.search(question):
        return Wants.PLACE
    if _ASKS_PERSON.search(question):
        return Wants.PERSON if _PERSON_ROLE.search(question) else Wants.NAME
    if _ASKS_ORGANISATION.search(question):
        return Wants.NAME
    return Wants.ANY


def asks_for_list(question: str) -> bool:
    return bool(_ASKS_LIST.search(question))


def _counted(question: str) -> frozenset[str]:
    match = _COUNTED.search(question)
    if match is None:
        return frozenset()
    words = [w for g in match.groups() if g for w in tokens(g) if w not in STOPWORDS]
    return frozenset(stem(w) for w in words)


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


# What a sentence holds is asked again for the same sentences by query after query (a search highlights among the
# sentences of its candidates, and the same passages answer many questions), so the scans of a sentence are kept:
# under 32 clients the figures' scan alone was 6 % of the server's interpreter time.
_SENTENCES_KEPT = 16384


@lru_cache(maxsize=_SENTENCES_KEPT)
def _figures(text: str) -> frozenset[str]:
    """The figures in `text`, in digits or spelled out: what a sentence can supply (a question's own spelled-out
    words, "the same work twice", are no constraint on the answer, so Asked keeps only its digits)."""
    return frozenset(_numbers(text) | {w.lower() for w in _NUMBER_WORD.findall(text)})


_LEADING = frozenset("a an the in on at as by for from of to under with and but this that these those".split())


@lru_cache(maxsize=_SENTENCES_KEPT)
def _names(text: str) -> frozenset[str]:
    """Proper names (two or more capitalised words), lower-cased, without a sentence-initial function word."""
    found = set()
    for match in _NAME.finditer(text):
        words = re.sub(r"[’']s\b", "", match.group(1)).lower().split()
        while words and words[0] in _LEADING:
            words = words[1:]
        if len(words) >= 2:
            found.add(" ".join(words))
    return frozenset(found)


# The words that make a name an organisation's: the designators of rule-based name recognition, in general English
# (nothing here is taken from one corpus).
_ORGANISATIONAL = frozenset(
    """
    nations organization organisation fund programme program group division department ministry commission committee
    council agency entity initiative network forum alliance partnership campaign coalition institute institution
    university college school foundation association union federation society league court tribunal assembly
    parliament congress senate government administration authority board panel mission system project framework
    conference summit secretariat team unit centre center service bureau company corporation bank trust consortium
    statistics
    """.split()
)
# ... and the words of roles', places', subjects' and documents' names besides: none is in a person's name.
_NOT_PERSONAL = _ORGANISATIONAL | frozenset(
    """
    united nation international national global regional world office strategy plan policy task force facility
    platform hub
    director general coordinator resident secretary president minister officer manager chair chairperson
    commissioner ambassador representative envoy adviser advisor head chief executive deputy special high
    republic kingdom state states city province region coast island islands strip north south east west northern
    southern eastern western central pacific atlantic ocean sea river africa america asia europe middle
    rights human equality gender violence justice development security peace health humanitarian
    women men girls boys children youth people persons day days week year action response guidelines reference
    expert experts joint transitional emergency emergencies crisis crises declaration convention act law report
    resolution agenda goals protocol treaty charter
    matrix tool toolkit handbook manual guide brief paper study survey index model standard principles indicator
    database portal website
    """.split()
)


def _designates(name: str, vocabulary: frozenset[str]) -> bool:
    """Whether a word of `name` (plural forms included) is one of `vocabulary`'s designators."""
    return any(word in vocabulary or word.rstrip("s") in vocabulary for word in re.split(r"[\s-]+", name.lower()))


def _agent(name: str) -> bool:
    """Whether `name` can be who did something: an organisation's, or one that can be a person's (not a role's,
    a place's, a subject's or a document's: "the Trademark Usage Policy" designed nothing)."""
    return _designates(name, _ORGANISATIONAL) or not _designates(name, _NOT_PERSONAL)


@lru_cache(maxsize=_SENTENCES_KEPT)
def _person_names(text: str) -> frozenset[str]:
    """The proper names in `text` that can be a person's: none of their words designates an organisation,
    a role, a place, a subject or a document (plural forms included)."""
    return frozenset(name for name in _names(text) if not _designates(name, _NOT_PERSONAL))


@lru_cache(maxsize=_SENTENCES_KEPT)
def _agent_names(text: str) -> frozenset[str]:
    """The proper names in `text` that can be who did something (`_agent`)."""
    return frozenset(name for name in _names(text) if _agent(name))


@dataclass(frozen=True, slots=True)
class Asked:
    """What a question asks for, and the specifics it already names: a sentence must supply something beyond them."""

    wants: Wants
    numbers: frozenset[str]
    years: frozenset[str]
    months: frozenset[str]
    names: frozenset[str]  # proper names, quoted terms and technical identifiers the question spells, lower-cased
    folded: str  # the question lower-cased, possessives dropped: a name found in it is not news
    counted: frozenset[str] = frozenset()  # stems of what a "how many" question counts
    # The words of `folded`, and its terms with their dots and hyphens kept ("zstd.level"): what a new acronym or a
    # stated value is checked against, split once per question rather than once per sentence.
    words: frozenset[str] = frozenset()
    terms: frozenset[str] = frozenset()

    @classmethod
    def of(cls, question: str) -> Asked:
        folded = re.sub(r"[’']s\b", "", question.lower())
        return cls(
            wants(question),
            frozenset(_numbers(question)),
            frozenset(_YEAR.findall(question)),
            frozenset(m.lower() for m in _MONTH.findall(question)),
            frozenset(_names(question)) | frozenset(q.lower() for q in _QUOTED.findall(question) if q.strip())
            | frozenset(i.lower() for i in _IDENTIFIER.findall(question) if len(i) > 3),
            folded,
            _counted(question),
            frozenset(re.findall(r"\w+", folded)),
            frozenset(re.findall(r"[\w.-]+", folded)),
        )

    def counts(self, sentence: str, anchors: frozenset[str] = frozenset()) -> bool:
        """Whether `sentence` gives the asked figure beside what it is about: the thing a "how many" question
        counts, or one of `anchors` (stems of the question's rarest terms). "25 United Nations entities" answers
        "How many entities…", "in 2016" does not. Always true for questions that ask for no figure."""
        near = self.counted or (anchors if self.wants in (Wants.NUMBER, Wants.VALUE, Wants.DATE) else frozenset())
        if not near:
            return True
        words = tokens(sentence)
        for i, word in enumerate(words):
            if (word.isdigit() or _NUMBER_WORD.fullmatch(word)) and word not in self.numbers:
                if any(stem(w) in near for w in words[max(0, i - _NEAR) : i + 1 + _NEAR]):
                    return True
        return False

    def supplied_by(self, sentence: str) -> bool:
        """Whether `sentence` holds the kind of fact asked for, beyond what the question gives."""
        kind = self.wants
        if kind is Wants.MONEY:
            return bool(_MONEY.search(sentence) or _AMOUNT.search(sentence))
        if kind is Wants.NUMBER and "how often" in self.folded and _FREQUENCY.search(sentence):
            return True
        if kind is Wants.NUMBER:
            # a year dates something; it does not count or measure it ("In 2016 we moved" answers no "how many")
            years = set() if "year" in self.folded else set(_YEAR.findall(sentence))
            return bool(_figures(sentence) - self.numbers - years)
        if kind is Wants.VALUE:
            literals = [a or b for a, b in _LITERAL.findall(sentence)] + _STATED_VALUE.findall(sentence)
            return bool(_figures(sentence) - self.numbers) or any(w.lower() not in self.terms for w in literals)
        if kind in (Wants.PLACE, Wants.NAME) and self._new_capitalised(sentence):
            return True  # a place, an organisation or a one-word name: "in Bordeaux", "OHCHR contributed"
        if kind is Wants.DATE:
            years = set(_YEAR.findall(sentence)) - self.years
            months = {m.lower() for m in _MONTH.findall(sentence)} - self.months
            return bool(years or months)
        if kind in (Wants.PERSON, Wants.NAME):
            names = _person_names(sentence) if kind is Wants.PERSON else _agent_names(sentence)
            return any(name not in self.folded for name in names)
        return kind is not Wants.PLACE

    def _new_capitalised(self, sentence: str) -> bool:
        names = [n for n in _INNER_CAPITAL.findall(sentence) if n.lower() not in self.folded]
        if self.wants is Wants.PLACE:  # a place is not an organisation ("the Statistics Division") nor an acronym
            return any(not _designates(n, _ORGANISATIONAL) for n in names)
        return any(_agent(n) for n in names) or any(a.lower() not in self.words for a in _ACRONYM.findall(sentence))
