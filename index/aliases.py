"""Acronym definitions mined from the corpus ("Long Form (LF)"), used to expand queries both ways.

The matching follows Schwartz & Hearst (2003), "A simple algorithm for identifying abbreviation
definitions in biomedical text": each letter of the short form is found, right to left, in the
words before the parenthesis, the first letter at the start of a word.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from corpus.model import normalise

_PAREN = re.compile(r"\(([^()]{1,20})\)")
_WORD = re.compile(r"[\w’'-]+")
_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Alias:
    short: str
    long: str
    count: int


def _valid_short(short: str) -> bool:
    return (
        2 <= len(short) <= 10
        and short[0].isalnum()
        and any(c.isupper() for c in short)
        and len(short.split()) <= 2
        and sum(c.isalpha() for c in short) >= 2
    )


def _best_long_form(short: str, candidate: str) -> str | None:
    """Schwartz–Hearst: the shortest tail of `candidate` whose letters spell `short`."""
    s_index, l_index = len(short) - 1, len(candidate) - 1
    letters = short.lower()
    long_lower = candidate.lower()
    while s_index >= 0:
        c = letters[s_index]
        if not c.isalnum():
            s_index -= 1
            continue
        while l_index >= 0 and (
            long_lower[l_index] != c or (s_index == 0 and l_index > 0 and long_lower[l_index - 1].isalnum())
        ):
            l_index -= 1
        if l_index < 0:
            return None
        l_index -= 1
        s_index -= 1
    start = long_lower.rfind(" ", 0, l_index + 1) + 1
    long_form = candidate[start:].strip(" -,;:")
    words = long_form.split()
    if len(words) < 2 or len(long_form) <= len(short) or short.lower() in long_form.lower().split():
        return None
    return long_form


def find_definitions(text: str) -> Iterable[tuple[str, str]]:
    """(short form, long form) pairs defined in `text` as "long form (SF)"."""
    for match in _PAREN.finditer(text):
        short = match.group(1).strip()
        if not _valid_short(short):
            continue
        before = text[: match.start()].rstrip()
        words = list(_WORD.finditer(before[-300:]))
        limit = min(len(short) + 5, len(short) * 2)
        if not words:
            continue
        window = before[-300:][words[max(0, len(words) - limit)].start() :]
        long_form = _best_long_form(short, window)
        if long_form:
            yield short, long_form


_ACRONYM = re.compile(r"\b[A-Z]{3,6}\b")
# A run of capitalised words, with the short words a name keeps inside it ("Department of Economic and Social Affairs").
_NAME_RUN = re.compile(r"[A-Z][a-z]+(?:[ -](?:(?:of|and|for|on|de)[ -])*[A-Z][a-z]+)+")
_INSIDE = frozenset("of and for on de".split())


def spelled_names(runs: Counter[str], acronyms: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Long forms of acronyms the texts use but never define, from the runs of capitalised words in the texts
    (`_NAME_RUN`, counted) whose initials spell them ("UNSD" … "the United Nations Statistics Division"): the most
    frequent such name, when no other name spells the same letters as often. Returns short -> (long form, count)."""
    wanted = set(acronyms)
    counts: Counter[tuple[str, str]] = Counter()
    for run, n in runs.items() if wanted else ():
        words = [w for w in re.finditer(r"[^ -]+", run)]
        for i, first in enumerate(words):
            if first.group() in _INSIDE:
                continue
            initials = ""
            for last in words[i:]:
                if last.group() in _INSIDE:
                    continue
                initials += last.group()[0]
                if len(initials) > 6:
                    break
                if len(initials) >= 3 and initials in wanted:
                    counts[(initials, run[first.start() : last.end()])] += n
    best: dict[str, list[tuple[int, str]]] = {}
    for (short, long_form), n in counts.items():
        best.setdefault(short, []).append((n, long_form))
    out = {}
    for short, found in best.items():
        found.sort(reverse=True)
        if len(found) == 1 or found[0][0] >= 2 * found[1][0]:
            out[short] = (found[0][1], found[0][0])
    return out


class AliasTable:
    """Short form <-> long form, mined from the passages of one index."""

    FILENAME = "aliases.json"

    def __init__(self, aliases: Iterable[Alias] = ()) -> None:
        self.aliases = sorted(aliases, key=lambda a: (a.short.lower(), -a.count))
        self._by_short: dict[str, list[Alias]] = {}
        self._longs: list[tuple[str, Alias]] = []
        for alias in self.aliases:
            self._by_short.setdefault(alias.short.lower(), []).append(alias)
            self._longs.append((normalise(alias.long), alias))

    @classmethod
    def mine(cls, texts: Iterable[str]) -> AliasTable:
        counts: Counter[tuple[str, str]] = Counter()
        used: set[str] = set()
        runs: Counter[str] = Counter()  # one pass over the texts: names are kept, not the texts
        for text in texts:
            counts.update(find_definitions(text))
            used.update(_ACRONYM.findall(text))
            runs.update(run.group() for run in _NAME_RUN.finditer(text))
        # One long form per (short, normalised long); the most frequent spelling wins.
        best: dict[tuple[str, str], tuple[str, int]] = {}
        for (short, long_form), n in counts.items():
            key = (short, normalise(long_form))
            spelled, total = best.get(key, (long_form, 0))
            best[key] = (spelled if total >= n else long_form, total + n)
        defined = {short for short, _ in best}
        spelled_out = spelled_names(runs, used - defined)
        return cls([*(Alias(short, spelled, n) for (short, _), (spelled, n) in best.items()),
                    *(Alias(short, long_form, n) for short, (long_form, n) in spelled_out.items())])

    def long_forms(self, short: str) -> list[str]:
        """The long forms defined for a short form, case-insensitively."""
        return [a.long for a in self._by_short.get(short.lower(), [])]

    def expansions(self, query: str) -> list[str]:
        """Phrases to add to `query`: long forms of acronyms it uses, acronyms of long forms it spells."""
        found: list[str] = []
        tokens = _TOKEN.findall(query)
        for token in tokens:
            # An acronym in the query: the user's capitals, or any case when it is not a common word.
            for alias in self._by_short.get(token.lower(), []):
                if token == alias.short or ((not token.islower() or len(token) >= 4) and token.upper() == alias.short.upper()):
                    found.append(alias.long)
        norm = normalise(query)
        for long_norm, alias in self._longs:
            if long_norm in norm and alias.short not in tokens:
                found.append(alias.short)
        return list(dict.fromkeys(found))

    def save(self, directory: Path) -> None:
        payload = [{"short": a.short, "long": a.long, "count": a.count} for a in self.aliases]
        (directory / self.FILENAME).write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> AliasTable:
        payload = json.loads((directory / cls.FILENAME).read_text(encoding="utf-8"))
        return cls(Alias(str(a["short"]), str(a["long"]), int(a["count"])) for a in payload)
