"""Sentences that cannot answer: a bare link, a pointer elsewhere, a heading; and highlighting passes them over."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.model import Passage, passage_id_for
from index.evidence import highlight
from index.pointers import Kind, can_answer, has_finite_verb, is_heading, is_pointer, kind, link_share


@pytest.mark.parametrize(
    "sentence",
    ["https://example.org/reports/2024/annual.pdf", "www.example.org", "Report: https://example.org/a/very/long/path/to/the/report.pdf"],
)
def test_a_sentence_made_mostly_of_an_address_is_a_link(sentence: str) -> None:
    assert link_share(sentence) >= 0.5
    assert kind(sentence) is Kind.LINK


@pytest.mark.parametrize(
    "sentence",
    [
        "See also: the annual report.",
        "Please see the annex for the full table.",
        "Click here to download the report.",
        "Read more",
        "For more information on past meetings, please see:",
        "For further details, contact the regional office.",
        "More information is available on the website.",
        "The full report is available at: https://example.org/r.pdf",
        "Details are given on the following page:",
        "For Win32, OSX, Linux, BSD, Jython, IronPython:\n\n   https://pypi.org/project/pyserial/",  # a label and its address
    ],
)
def test_a_sentence_that_sends_the_reader_elsewhere_is_a_pointer(sentence: str) -> None:
    assert is_pointer(sentence)
    assert not can_answer(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "More information is needed on the causes of the decline.",  # a weak opening without anywhere to go
        "For information sharing, the agencies set up a common platform.",
        "Share of women in parliament rose to 40% in 2023.",
        "The following milestones were met in 2024:",  # a lead-in: it introduces, it does not send away
        "Seeing the results, the board doubled the budget.",
        "The programme's website was launched in 2019 with a page for each region.",  # no closing ':'
        "The installer was moved to a new address: https://example.org/get",  # a statement, with its verb
    ],
)
def test_statements_are_not_pointers(sentence: str) -> None:
    assert not is_pointer(sentence)
    assert can_answer(sentence)


@pytest.mark.parametrize("line", ["Results and Findings", "Key results:", "Annex 2", "Programme budget for 2024"])
def test_a_short_line_without_a_verb_or_full_stop_is_a_heading(line: str) -> None:
    assert is_heading(line) and kind(line) is Kind.HEADING


@pytest.mark.parametrize(
    "line",
    [
        "Lifeguard towers installed on nine beaches",  # a bullet without a full stop still has its verb
        "The programme is run by the board",
        "Samoa and Fiji joined in 2021.",  # a full stop: a sentence, however short
        "A long label without any verb at all that runs on well past the twelve words a heading has",
        "On Windows, run:\n\n    tutorial-env\\Scripts\\activate.bat",  # a lead-in with the command it introduces
        "Reload with:\n\n```\ngunzip -c filename.gz | psql dbname\n```",
    ],
)
def test_a_line_with_a_verb_a_full_stop_or_many_words_is_not_a_heading(line: str) -> None:
    assert not is_heading(line)


def test_finite_verbs_are_recognised_without_a_tagger() -> None:
    assert has_finite_verb("The board was formed") and has_finite_verb("Radio coverage extended to the coast")
    assert not has_finite_verb("Annual report of the harbour board")


def _passage(text: str) -> Passage:
    return Passage(passage_id_for(text), "d-1", text, 0, len(text), None, "Title", "doc.txt")


def test_the_highlight_passes_over_a_pointer_that_matches_the_query_better(small_engine) -> None:
    text = ("The group has met every year since 2006 to review gender statistics. "
            "For more information on the meetings of the gender statistics group, please see: https://example.org/meetings")
    query = small_engine.query("meetings of the gender statistics group")
    marked = highlight(query, _passage(text), np.zeros((0, 4), np.float32), 0.0)
    assert marked is not None and marked.text.startswith("The group has met every year")


def test_a_passage_of_one_pointer_keeps_it_as_its_highlight(small_engine) -> None:
    text = "For more information, see: https://example.org/meetings"
    marked = highlight(small_engine.query("meetings"), _passage(text), np.zeros((0, 4), np.float32), 0.0)
    assert marked is not None and marked.text == text
