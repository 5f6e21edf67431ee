"""Query and sentence terms: tokens, Porter stems (as SQLite FTS5's porter tokenizer makes them), stopwords, IDF."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import Stemmer

_TOKEN = re.compile(r"\w+")
_STEMMER = Stemmer.Stemmer("porter")

# Function words carry no evidence in a question; the standard English list (as in Lucene/NLTK) plus question words.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves also did does done
    tell give show list many much name kind type one ones s t""".split()
)


def fold(token: str) -> str:
    """Lower-case and strip diacritics, as FTS5's unicode61 tokenizer does (remove_diacritics 2)."""
    if token.isascii():
        return token.lower()
    decomposed = unicodedata.normalize("NFKD", token.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    if text.isascii():  # nothing to decompose: folding is lower-casing (the common case, and 5x faster)
        return _TOKEN.findall(text.lower())
    return [fold(t) for t in _TOKEN.findall(text)]


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    return _STEMMER.stemWord(token)


def content_terms(text: str) -> list[str]:
    """Stems of the words that carry meaning, in order, without repeats."""
    return list(dict.fromkeys(stem(t) for t in tokens(text) if t not in STOPWORDS))


class Vocabulary:
    """Document frequencies of stems in the passage store, for IDF weights."""

    def __init__(self, df: dict[str, int], n: int) -> None:
        self.df = df
        self.n = max(n, 1)

    def idf(self, term: str, parts: Sequence[str] = ()) -> float:
        """Robertson–Sparck Jones IDF; a term the corpus never uses weighs the most. FTS5 indexes an identifier such as
        shared_buffers as its words (its tokenizer splits at the underscore), so for a term with `parts` (their
        stems) the count of its rarest part stands in: no more passages hold the identifier than that."""
        df = self.df.get(term, 0)
        if not df and parts:
            df = min(self.df.get(part, 0) for part in parts)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))
