"""Cleaning by general, user-extensible rules: control characters, page furniture, fused UI phrases.

The cleaned text keeps the original characters for display; comparisons elsewhere use
`corpus.model.normalise`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from corpus.model import INVISIBLE_CHARACTERS as _INVISIBLE
from corpus.model import normalise
from corpus.structure import in_code, is_adornment

# Navigation and page-furniture lines seen across web pages; a whole line equal to one is dropped.
NAV_LINES: tuple[str, ...] = (
    "search", "menu", "main menu", "home", "share", "print", "close", "back to top",
    "skip to main content", "skip to content", "toggle navigation", "navigation",
    "sign in", "log in", "login", "subscribe", "cookie settings", "accept cookies",
    "accept all cookies", "previous", "next", "top", "breadcrumb", "follow us",
)
# Interface phrases that a scrape fuses onto the text around them ("View MoreOHCHR contributed…").
UI_PHRASES: tuple[str, ...] = (
    "view more", "view less", "read more", "read less", "show more", "show less",
    "see more", "see less", "learn more", "continue reading", "expand", "collapse",
)

# Control characters, invisible word breaks, and the explicit bidi embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069): right-to-left text displays correctly without them, and an override
# left in a passage would reverse the page text that follows it (the "Trojan Source" spoof).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
_TERMINAL = re.compile(r"[.!?:;…。」”\"')\]]$")
_ARROWS = "»›→>…"
_NUMBER = re.compile(r"\d+")
_OPENERS = "\"“‘'(#«„"


def strip_controls(text: str) -> str:
    """The text without control characters, invisible word breaks and bidi overrides (newlines and tabs stay)."""
    return _CONTROL.sub("", text)


@dataclass(frozen=True)
class CleaningRules:
    """What cleaning removes. Every list can be extended by the user (see `cited build --help`)."""

    nav_lines: tuple[str, ...] = NAV_LINES
    ui_phrases: tuple[str, ...] = UI_PHRASES
    # A short non-sentence line found in this many documents (and half of them) is furniture too.
    recurring_min_docs: int = 3
    max_furniture_words: int = 4
    extra_nav_lines: tuple[str, ...] = field(default=())
    extra_ui_phrases: tuple[str, ...] = field(default=())

    def extended(self, nav_lines: Iterable[str] = (), ui_phrases: Iterable[str] = ()) -> CleaningRules:
        return CleaningRules(
            nav_lines=self.nav_lines,
            ui_phrases=self.ui_phrases,
            recurring_min_docs=self.recurring_min_docs,
            max_furniture_words=self.max_furniture_words,
            extra_nav_lines=self.extra_nav_lines + tuple(nav_lines),
            extra_ui_phrases=self.extra_ui_phrases + tuple(ui_phrases),
        )


def is_sentence_like(line: str) -> bool:
    """A line that ends like a sentence or has too many words to be a label."""
    stripped = line.strip()
    return bool(_TERMINAL.search(stripped)) or len(stripped.split(maxsplit=8)) > 8


def furniture_candidates(line: str, max_words: int) -> bool:
    stripped = line.strip()
    return 0 < len(stripped.split(maxsplit=max_words)) <= max_words and not is_sentence_like(stripped)


def recurring_furniture(texts: Sequence[str], rules: CleaningRules) -> frozenset[str]:
    """Short label-like lines that recur across many documents: site navigation, not content."""
    if len(texts) < rules.recurring_min_docs:
        return frozenset()
    seen: Counter[str] = Counter()
    for text in texts:
        labels = {
            normalise(line)
            for line, code in zip(text.splitlines(), in_code(text.splitlines()), strict=True)
            if not code and furniture_candidates(line, rules.max_furniture_words) and not _is_structure(line)
        }
        seen.update(labels)
    floor = max(rules.recurring_min_docs, (len(texts) + 1) // 2)
    return frozenset(label for label, count in seen.items() if count >= floor)


def _is_structure(line: str) -> bool:
    """A heading, a heading's rule or a code fence: it recurs in every document written in the same
    markup, and the structure of each depends on it."""
    stripped = line.strip()
    return stripped.startswith(("#", "```", "~~~")) or is_adornment(stripped)


def running_heads(pages: Sequence[str], rules: CleaningRules) -> frozenset[str]:
    """Headers and footers of a paged document: label lines on most of its pages, numbers masked as "#".

    "Annual Report 2024" and "Page 3" recur on every page of a PDF; left in, they read as headings
    and become the context of the passages under them.
    """
    return recurring_furniture([_NUMBER.sub("#", page) for page in pages], rules)


def _alternation(phrases: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first, any run of spaces between words."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)


class Cleaner:
    """Applies `CleaningRules` to one document's text.

    `furniture` adds corpus-wide recurring lines; `heads` a paged document's running headers and
    footers, as `running_heads` gives them (numbers masked).
    """

    def __init__(
        self, rules: CleaningRules, furniture: frozenset[str] = frozenset(), heads: frozenset[str] = frozenset()
    ) -> None:
        self.rules = rules
        self.furniture = furniture
        self._heads = heads
        phrases = {normalise(p) for p in rules.ui_phrases + rules.extra_ui_phrases}
        self._nav = {normalise(n) for n in rules.nav_lines + rules.extra_nav_lines} | furniture | phrases
        # A line with more words than any label cannot be one (normalising never joins words unless it
        # drops an invisible character): the common case, decided without normalising.
        self._nav_words = max((len(n.split()) for n in self._nav | heads), default=0)
        self._last_words = tuple({p.split()[-1] for p in phrases if p.split()})
        alternatives = _alternation(phrases)
        self._head = re.compile(rf"^(\s*(?:[-*•]\s+)?)((?i:{alternatives}))(\s*)(?=\S)")
        # Trailing: "… the report. Read more »" — after the end of a sentence, or marked by an arrow. A
        # sentence that merely ends in the words ("…asked them to read more") is left alone.
        self._tail = re.compile(
            rf"(?:(?<=[.!?…:;\"”’)])\s*(?:{alternatives})\s*[{_ARROWS}]*|\s+(?:{alternatives})\s*[{_ARROWS}]+)\s*$",
            re.IGNORECASE,
        )

    def is_nav_line(self, line: str) -> bool:
        stripped = line.strip(" \t" + _ARROWS + "|·•")
        too_long = len(stripped.split(maxsplit=self._nav_words)) > self._nav_words
        if too_long and (stripped.isascii() or not any(c in stripped for c in _INVISIBLE)):
            return False
        label = normalise(stripped)
        return bool(label) and (label in self._nav or (bool(self._heads) and _NUMBER.sub("#", label) in self._heads))

    def clean_line(self, line: str) -> str:
        line = self._strip_head(line)
        # The tail pattern is costly on long lines; only a line that ends in a phrase's last word can match.
        if line.rstrip().rstrip(_ARROWS).rstrip().casefold().endswith(self._last_words):
            line = self._tail.sub("", line, count=1)
        return line.rstrip()

    def _strip_head(self, line: str) -> str:
        """Drop a UI phrase fused onto the start of the text ("View MoreOHCHR…", "Read moreThe…").

        Fused means glued to a capital, digit or opening quote at a case change, so that "EXPANDED"
        is not "EXPAND" + "ED". Apart from the text by a space, only a button spelling counts ("View
        More OHCHR…"): "Read more about…" or "Expand UN presence…" are ordinary sentences.
        """
        match = self._head.match(line)
        if match is None:
            return line
        phrase, gap, following = match.group(2), match.group(3), line[match.end()]
        # A capital, digit, quote, or a letter of a script without case ("View More北京").
        if following.islower() or not (following.isalnum() or following in _OPENERS):
            return line
        if gap:
            words = phrase.split()
            button = len(words) > 1 and (phrase.isupper() or all(w[:1].isupper() for w in words))
            if not button:
                return line
        elif phrase[-1].isupper():
            return line
        return match.group(1) + line[match.end() :]

    def clean(self, text: str) -> str:
        text = strip_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
        out: list[str] = []
        lines = text.split("\n")
        for raw, code in zip(lines, in_code(lines), strict=True):
            if code:  # a code block is kept as written: its lines are no menu, whatever they say
                out.append(raw.rstrip())
                continue
            line = self.clean_line(raw)
            # Checked again once a fused phrase is off: "View MoreSearch" is a navigation line too.
            if self.is_nav_line(raw) or (line != raw and self.is_nav_line(line)):
                continue
            if not line.strip():
                if out and out[-1] != "":
                    out.append("")
                continue
            out.append(line)
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out)
