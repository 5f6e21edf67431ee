"""Tokens: the ASCII fast path folds exactly as the general path does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from index.terms import _TOKEN, fold, tokens


@given(st.text())
def test_tokens_equal_folding_each_word(text: str) -> None:
    assert tokens(text) == [fold(t) for t in _TOKEN.findall(text)]


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_takes_the_fast_path_with_the_same_result(text: str) -> None:
    assert tokens(text) == [fold(t) for t in _TOKEN.findall(text)]


def test_accents_are_removed_and_case_folded() -> None:
    assert tokens("Café DÉJÀ vu, ﬁnance") == ["cafe", "deja", "vu", "finance"]
