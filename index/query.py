"""A question analysed once: the `Query` every later stage reads (retrieval, fusion, highlighting, abstention,
answers) instead of looking at the text again, as Lucene rewrites a query once and weighs it once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.aliases import AliasTable
from index.answertype import Asked, asks_for_list
from index.config import Mode
from index.rewrite import rewrite
from index.terms import STOPWORDS, Vocabulary, content_terms, stem, tokens


@dataclass(frozen=True, slots=True)
class Term:
    """A content word of the query: its stem, its idf weight, and the stems of a long form that stands for it."""

    stem: str
    weight: float
    alternative: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Query:
    """Everything about one request's question, computed once. `text` is the user's own words; `standalone` what is
    searched (the text, or a follow-up made standalone with the earlier turns)."""

    text: str
    standalone: str
    mode: Mode
    expansions: tuple[str, ...]  # alias long forms and acronyms the question implies
    terms: tuple[Term, ...]
    asked: Asked  # the kind of fact wanted and the numbers, dates and names the question names
    is_list: bool
    fts: str | None  # the FTS5 expression: quoted terms joined by OR, data only, never syntax
    vector: np.ndarray | None  # None in lexical mode

    @property
    def dense_text(self) -> str:
        return dense_text(self.standalone, self.expansions)


def dense_text(text: str, expansions: Sequence[str]) -> str:
    """What is embedded for a query: its text, with the alias expansions in brackets."""
    return f"{text} ({'; '.join(expansions)})" if expansions else text


def fts_expression(text: str, expansions: Sequence[str]) -> str | None:
    """The query as an FTS5 expression of quoted terms joined by OR; None when it has no word at all."""
    words = [t for t in tokens(text) if t not in STOPWORDS] or tokens(text)
    parts = [f'"{w}"' for w in dict.fromkeys(words)]
    for phrase in expansions:
        phrase_words = tokens(phrase)
        if phrase_words:
            parts.append('"' + " ".join(phrase_words) + '"')
    return " OR ".join(parts) if parts else None


def phrases_of(fts: str) -> list[str]:
    """The quoted phrases of an expression from `fts_expression`, in order (repeats kept: FTS5 scores each)."""
    return fts.split(" OR ")


class QueryBuilder:
    """Turns a question (and the earlier user turns of a conversation) into a `Query` over one index."""

    def __init__(self, aliases: AliasTable, vocabulary: Vocabulary, encode: Callable[[Sequence[str]], np.ndarray]) -> None:
        self.aliases = aliases
        self.vocabulary = vocabulary
        self.encode = encode

    def terms(self, text: str) -> tuple[Term, ...]:
        """Each content term weighted by its idf, with the stems of an alias long form that can stand for it."""
        alternatives: dict[str, tuple[str, ...]] = {term: () for term in content_terms(text)}
        parts: dict[str, list[str]] = {}
        for token in tokens(text):
            key = stem(token)
            if "_" in token:
                parts[key] = [stem(part) for part in token.split("_") if part]
            for long_form in self.aliases.long_forms(token):
                if key in alternatives:
                    alternatives[key] = tuple(content_terms(long_form))
        return tuple(Term(term, self.vocabulary.idf(term, parts.get(term, ())), alt) for term, alt in alternatives.items())

    def build(
        self,
        text: str,
        mode: Mode = Mode.HYBRID,
        history: Sequence[str] = (),
        vector: np.ndarray | None = None,
    ) -> Query:
        text = text.strip()
        standalone = rewrite([h.strip() for h in history], text).strip() if history else text
        expansions = tuple(self.aliases.expansions(standalone))
        if vector is None and mode is not Mode.LEXICAL:
            vector = self.encode([dense_text(standalone, expansions)])[0]
        return Query(
            text=text,
            standalone=standalone,
            mode=mode,
            expansions=expansions,
            terms=self.terms(standalone),
            asked=Asked.of(standalone),
            is_list=asks_for_list(standalone),
            fts=fts_expression(standalone, expansions),
            vector=vector if mode is not Mode.LEXICAL else None,
        )
