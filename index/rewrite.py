"""Follow-up questions made standalone without a generative model: a turn that leans on earlier ones
(pronouns, "what about …", "and …", no content words of its own) borrows the earlier turn's key terms."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.terms import STOPWORDS

log = logging.getLogger(__name__)

# Words that refer back to something named earlier. "that" is handled apart: it is mostly a conjunction.
_REFERRING = frozenset("it its itself they them their theirs themselves he she him his her hers this these those".split())
_POSSESSIVE = frozenset("its their theirs his her hers".split())
# "one" stands for a noun named earlier unless a word before it makes it a figure or another pronoun.
_ONE = frozenset({"one", "ones"})
_NOT_A_PRONOUN = frozenset("no every each any some".split())
_DEMONSTRATIVES = frozenset("that this these those".split())
# "there" points at a place named earlier, unless it only introduces a verb ("is there", "there are").
_EXISTENTIAL = frozenset("is are was were be been being has have had will would can could may might must should seem seems exist exists".split())
# "What about X?", "How about X?", "And X?", "What of X?", "Same for X?" hand over only a new focus X.
_FOCUS_SHIFT = re.compile(
    r"^\s*(?:(?:and\s+)?(?:what|how)\s+about|and\s+what\s+of|what\s+of|(?:and\s+)?(?:the\s+)?same\s+(?:for|with)|and)\s+(?P<focus>.+?)\s*[?.!]*\s*$",
    re.IGNORECASE | re.DOTALL,
)
_LEADING_AND = re.compile(r"^\s*(?:and|also|so|then)\b[\s,]*", re.IGNORECASE)
_QUESTION_START = frozenset(
    "who whom whose what when where why how which is are was were do does did can could has have had will would should "
    "may might must shall tell list name describe explain give show".split()
)
_PREPOSITIONS = frozenset("in on at for from during since by with to of about under between across within after before".split())
# Inside a multiword name: "16 Days of Activism", "Call to Action", "Food and Agriculture Organization".
_CONNECTORS = frozenset("of the for on against to de la du des and &".split())
_WORD = re.compile(r"[^\W_](?:[\w\-’'&.]*[^\W_])?", re.UNICODE)
_SENTENCE_END = re.compile(r"[.?!:;]\s*$")


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int
    sentence_start: bool

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def is_acronym(self) -> bool:
        """Two or more capitals (FAO, IOWG, UNiTE, RGAs)."""
        return sum(c.isupper() for c in self.text) >= 2

    @property
    def is_capitalised(self) -> bool:
        return self.text[0].isupper() or self.is_acronym

    @property
    def is_number(self) -> bool:
        return self.text[0].isdigit()


def _tokens(text: str) -> list[_Token]:
    found = []
    previous_end = 0
    for match in _WORD.finditer(text):
        word = re.sub(r"[’']s$", "", match.group())  # possessive: "UNICEF's" names UNICEF
        between = text[previous_end : match.start()]
        at_start = not found or bool(_SENTENCE_END.search(between))
        found.append(_Token(word, match.start(), match.start() + len(word), at_start))
        previous_end = match.end()
    return found


def _is_function_word(word: str) -> bool:
    return word.lower() in STOPWORDS or word.lower() in _QUESTION_START or word.lower() in _REFERRING


def _starts_name(tokens: list[_Token], i: int) -> bool:
    t = tokens[i]
    if t.is_acronym:
        return True
    following = tokens[i + 1] if i + 1 < len(tokens) else None
    if t.is_number:
        return following is not None and following.is_capitalised and not _is_function_word(following.text)
    if not t.is_capitalised or _is_function_word(t.text):
        return False
    if t.sentence_start:
        # A capital at the start of a sentence says nothing, unless a name clearly goes on after it.
        return following is not None and following.is_capitalised and not following.is_acronym
    return True


def key_names(text: str) -> list[str]:
    """Capitalised names, acronyms and multiword proper nouns, in order, without repeats or parts of longer ones."""
    tokens = _tokens(text)
    names: list[str] = []
    i = 0
    while i < len(tokens):
        if not _starts_name(tokens, i):
            i += 1
            continue
        j = i
        while j + 1 < len(tokens):
            nxt = tokens[j + 1]
            if not _adjacent(text, tokens[j], nxt):
                break
            if nxt.is_capitalised and not _is_function_word(nxt.text):
                j += 1
                continue
            # A connector joins two capitalised words; "and" only between plain words (not "FAO and UN Women").
            after = tokens[j + 2] if j + 2 < len(tokens) else None
            if (
                nxt.lower in _CONNECTORS
                and after is not None
                and (after.is_capitalised or after.is_number)
                and not _is_function_word(after.text)
                and _adjacent(text, nxt, after)
                and not tokens[j].is_acronym
                and not (nxt.lower in {"and", "&"} and after.is_acronym)
            ):
                j += 2
                continue
            break
        names.append(text[tokens[i].start : tokens[j].end])
        i = j + 1
    unique = list(dict.fromkeys(names))
    return [n for n in unique if not any(n != other and _contains_words(other, n) for other in unique)]


def _adjacent(text: str, left: _Token, right: _Token) -> bool:
    """Only spaces (or a hyphen) stand between two words: punctuation ends a name."""
    return text[left.end : right.start].strip(" -") == ""


def _contains_words(longer: str, shorter: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(shorter)}(?!\w)", longer) is not None


def content_words(text: str) -> list[str]:
    """Words that carry meaning of their own (not function, question or referring words), in order."""
    return list(dict.fromkeys(t.text for t in _tokens(text) if not _is_function_word(t.text) and len(t.text) > 1))


def _refers_back(text: str) -> bool:
    """The turn uses a word that points at something it does not name itself."""
    tokens = _tokens(text)
    names = key_names(text)
    for i, t in enumerate(tokens):
        word = t.lower
        if word == "that":
            before = tokens[i - 1].lower if i else ""
            after = tokens[i + 1] if i + 1 < len(tokens) else None
            # "about that", "is that?", "did that": a pronoun; "the programme that funds": a conjunction.
            if not before or before in _PREPOSITIONS or before in _QUESTION_START or before in STOPWORDS or after is None:
                return True
            continue
        if word == "there":
            before = tokens[i - 1].lower if i else ""
            after = tokens[i + 1].lower if i + 1 < len(tokens) else ""
            if before not in _EXISTENTIAL and after not in _EXISTENTIAL:
                return True
            continue
        if word in _ONE:
            if _stands_for_a_noun(tokens, i):
                return True
            continue
        if word not in _REFERRING:
            continue
        # "What is UNICEF's budget and its reach?": a possessive after a name of the same turn refers inside it.
        if word in _POSSESSIVE and names and any(text.find(n) < t.start for n in names):
            continue
        return True
    return False


def _stands_for_a_noun(tokens: list[_Token], i: int) -> bool:
    """ "one" used as a pronoun ("Can I trigger one by hand?", "get out of one?", "Which one is faster?"), not as a
    figure or a determiner ("one worker", "one of them", "no one")."""
    before = tokens[i - 1].lower if i else ""
    after = tokens[i + 1].lower if i + 1 < len(tokens) else None
    if before in _NOT_A_PRONOUN:
        return False
    return after is None or (after in _PREPOSITIONS and after != "of") or after in _EXISTENTIAL


def _pointed_at(previous: str, turn: str) -> list[str]:
    """The words that complete a noun the turn points at ("that programme", "those files") where the previous
    question names it more fully ("the school feeding programme"): the content words just before it there."""
    earlier = _tokens(previous)
    tokens = _tokens(turn)
    out: list[str] = []
    for i, t in enumerate(tokens[:-1]):
        if t.lower not in _DEMONSTRATIVES:
            continue
        noun = tokens[i + 1].lower
        for j, e in enumerate(earlier):
            if e.lower != noun:
                continue
            k = j
            while k > 0 and not _is_function_word(earlier[k - 1].text) and _adjacent(previous, earlier[k - 1], earlier[k]):
                k -= 1
            if k < j:
                out.append(previous[earlier[k].start : earlier[j - 1].end])
            break
    return out


def _likeness(a: str, b: str) -> int:
    """How alike two names are in form: acronyms in them, figures in them, one word or several."""
    def form(name: str) -> tuple[bool, bool, bool]:
        words = name.split()
        return any(sum(c.isupper() for c in w) >= 2 for w in words), any(c.isdigit() for c in name), len(words) > 1

    fa, fb = form(a), form(b)
    return 2 * (fa[0] == fb[0]) + 2 * (fa[1] == fb[1]) + (fa[2] == fb[2])


def _with_terms(turn: str, terms: Sequence[str]) -> str:
    """The turn with borrowed terms in parentheses before its closing punctuation."""
    body = turn.strip()
    body = body[:1].upper() + body[1:]
    ending = ""
    match = re.search(r"[?.!]+$", body)
    if match:
        body, ending = body[: match.start()].rstrip(), match.group()
    return f"{body} ({', '.join(terms)}){ending}"


def _missing(terms: Sequence[str], turn: str) -> list[str]:
    lowered = turn.lower()
    return [t for t in terms if not re.search(rf"(?<!\w){re.escape(t.lower())}(?!\w)", lowered)]


def _borrowed(previous: str, turn: str, *, with_words: bool) -> list[str]:
    """What the turn takes from the previous question: its names, or its content words when it has none."""
    names = key_names(previous)
    terms = list(names)
    if with_words or not names:
        inside = " ".join(names).lower().split()
        terms += [w for w in content_words(previous) if w.lower() not in inside and w not in names]
    return _missing(terms, turn)


def _shift_focus(previous: str, focus: str) -> str:
    """The previous question's frame with the new focus in place of the name it replaces."""
    focus = focus.strip()
    words = focus.split()
    if words and words[0].lower() in _PREPOSITIONS:
        preposition = words[0].lower()
        # "What about in Haiti?" after "… in Malawi?": replace the phrase after the same preposition.
        for name in key_names(previous):
            match = re.search(rf"\b{preposition}\s+(?:the\s+)?{re.escape(name)}(?!\w)", previous, re.IGNORECASE)
            if match:
                return previous[: match.start()] + focus + previous[match.end() :]
        body = re.sub(r"[\s?.!]+$", "", previous)
        return f"{body} {focus}?"
    # Alone, a capitalised focus is a name even though it opens the text ("What about Haiti?").
    focus_names = key_names(focus) or ([focus] if focus[:1].isupper() and not _is_function_word(words[0]) else [])
    if not focus_names:
        # A plain noun phrase ("what about the budget?"): the new topic, about the same named things.
        terms = _borrowed(previous, focus, with_words=False)
        return _with_terms(focus + "?", terms) if terms else focus
    candidates = key_names(previous)
    if candidates:
        # The name of the previous question most like the new one in form is the one it stands in for.
        target = max(candidates, key=lambda n: _likeness(n, focus_names[0]))
        match = re.search(rf"(?<!\w)(?:the\s+)?{re.escape(target)}(?!\w)", previous)
        if match:
            return previous[: match.start()] + focus + previous[match.end() :]
    return _with_terms(previous, [focus])


def _standalone(previous: str | None, turn: str) -> str:
    if previous is None or not turn.strip():
        return turn
    shift = _FOCUS_SHIFT.match(turn)
    if shift and shift.group("focus").split()[0].lower() not in _QUESTION_START:
        return _shift_focus(previous, shift.group("focus"))
    stripped = _LEADING_AND.sub("", turn)
    leans = stripped != turn or _refers_back(turn) or not content_words(turn)
    if not leans:
        return turn
    terms = _borrowed(previous, turn, with_words=not content_words(turn))
    terms += [w for w in _missing(_pointed_at(previous, turn), turn) if w not in terms]
    return _with_terms(stripped or turn, terms) if terms else turn


def _is_question(text: str) -> bool:
    words = text.split()
    return text.rstrip().endswith("?") or (bool(words) and words[0].lower() in _QUESTION_START)


def _rewrite(history: Sequence[str], turn: str) -> str:
    previous: str | None = None
    for earlier in history:
        if not isinstance(earlier, str) or not earlier.strip():
            continue
        standalone = _standalone(previous, earlier)
        # A turn that names nothing and asks nothing ("thanks") does not replace the topic in force.
        if previous is None or key_names(standalone) or (content_words(standalone) and _is_question(standalone)):
            previous = standalone
    return _standalone(previous, turn)


def rewrite(history: Sequence[str], turn: str) -> str:
    """The standalone query for `turn`, given the earlier user turns (oldest first).

    A self-contained question comes back unchanged. Never raises; non-empty output for non-empty input.
    """
    try:
        rewritten = _rewrite(history, turn)
    except Exception:  # a rewriting bug must cost one follow-up its context, never the request
        log.exception("could not rewrite the follow-up %r; searching it as it stands", turn)
        return turn
    return rewritten if rewritten.strip() or not turn else turn
