"""Cleaning rules: navigation lines, recurring furniture, fused UI phrases, and what must survive them."""

from __future__ import annotations

import pytest

from corpus.clean import Cleaner, CleaningRules, recurring_furniture, running_heads
from corpus.loaders import RawDocument
from corpus.pipeline import clean_documents


@pytest.fixture
def cleaner() -> Cleaner:
    return Cleaner(CleaningRules())


BODY = "The commission published its annual report on Tuesday."


@pytest.mark.parametrize(
    "nav",
    ["Search", "search", "  Menu  ", "Skip to main content", "Back to top »", "| Share |", "Home", "• Print", "Read more"],
)
def test_a_navigation_line_is_dropped(cleaner: Cleaner, nav: str) -> None:
    assert cleaner.clean(f"{nav}\n{BODY}\n{nav}") == BODY


def test_a_nav_line_under_a_fused_phrase_is_dropped_too(cleaner: Cleaner) -> None:
    assert cleaner.clean(f"View MoreSearch\n{BODY}") == BODY


def test_a_sentence_that_merely_contains_a_nav_word_is_kept(cleaner: Cleaner) -> None:
    text = "Search and rescue teams arrived within hours.\nHome visits resumed in March."
    assert cleaner.clean(text) == text


def test_nav_lines_are_user_extendable() -> None:
    text = f"Donate now\n{BODY}"
    assert Cleaner(CleaningRules()).clean(text) == text
    assert Cleaner(CleaningRules().extended(nav_lines=["Donate now"])).clean(text) == BODY


def test_extending_keeps_the_built_in_rules() -> None:
    rules = CleaningRules().extended(nav_lines=["Donate now"]).extended(ui_phrases=["Click here"])
    cleaner = Cleaner(rules)
    assert cleaner.clean("Search\nDonate now\nClick hereThe report is out.") == "The report is out."


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("View MoreOHCHR contributed to the elaboration of a system.", "OHCHR contributed to the elaboration of a system."),
        ("Read moreThe report was published in May.", "The report was published in May."),
        ("Show less“Quoted” words open this line.", "“Quoted” words open this line."),
        ("See more2024 was a difficult year.", "2024 was a difficult year."),
        ("- View MoreIn Samoa, coordination improved.", "- In Samoa, coordination improved."),
        ("View More OHCHR contributed to the system.", "OHCHR contributed to the system."),
        ("View MoreÉtude sur la violence.", "Étude sur la violence."),
        ("Read moreΕλλάδα signed the treaty.", "Ελλάδα signed the treaty."),
        ("View More北京 hosted the meeting.", "北京 hosted the meeting."),
    ],
)
def test_a_ui_phrase_fused_at_the_start_is_stripped(cleaner: Cleaner, raw: str, clean: str) -> None:
    assert cleaner.clean(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("The report was published in May. Read more »", "The report was published in May."),
        ("The report was published in May.Read more", "The report was published in May."),
        ("The report was published in May. Continue reading →", "The report was published in May."),
        ("Funding rose sharply in 2024 … View more", "Funding rose sharply in 2024 …"),
        ("Annual figures for the region Read more »", "Annual figures for the region"),
    ],
)
def test_a_trailing_ui_phrase_is_stripped(cleaner: Cleaner, raw: str, clean: str) -> None:
    assert cleaner.clean(raw) == clean


@pytest.mark.parametrize(
    "sentence",
    [
        "Read more about the programme in the annual report.",
        "Learn more: the guide explains each step.",
        "Show more respect to survivors, the campaign urged.",
        "Collapse of the regional economy displaced thousands.",
        "Expand UN presence in rural areas, the plan says.",
        "Students who read more tend to write better.",
        "Teachers asked their students to read more",
        "The economy is expected to expand",
        "EXPANDED ACCESS TO JUSTICE",
    ],
)
def test_an_ordinary_sentence_starting_or_ending_with_a_ui_word_is_kept(cleaner: Cleaner, sentence: str) -> None:
    assert cleaner.clean(sentence) == sentence


def test_ui_phrases_are_user_extendable() -> None:
    text = "Click hereThe report was published in May."
    assert Cleaner(CleaningRules()).clean(text) == text
    assert Cleaner(CleaningRules().extended(ui_phrases=["click here"])).clean(text) == "The report was published in May."


def test_control_characters_line_endings_and_blank_runs_are_normalised(cleaner: Cleaner) -> None:
    raw = "First\x07 paragraph.\r\n\r\n\r\n\r\nSecond\u200b paragraph.\rThird line.\x0c\n\n"
    assert cleaner.clean(raw) == "First paragraph.\n\nSecond paragraph.\nThird line."


def _page(n: int, *extra: str) -> str:
    return "\n".join(["Share this story", "Related topics", f"Article {n} says something specific about topic {n}.", *extra])


def test_recurring_furniture_is_found_across_three_or_more_documents() -> None:
    texts = [_page(n) for n in range(4)]
    furniture = recurring_furniture(texts, CleaningRules())
    assert furniture == {"share this story", "related topics"}


def test_two_documents_are_too_few_to_call_a_line_furniture() -> None:
    assert recurring_furniture([_page(1), _page(2)], CleaningRules()) == frozenset()


def test_a_line_in_fewer_than_half_the_documents_is_not_furniture() -> None:
    texts = [_page(n) for n in range(3)] + [f"Article {n} stands alone without any labels." for n in range(5)]
    assert recurring_furniture(texts, CleaningRules()) == frozenset()


def test_recurring_sentences_and_markdown_headings_are_not_furniture() -> None:
    texts = [_page(n, "All rights are reserved by the publisher.", "# Overview") for n in range(4)]
    furniture = recurring_furniture(texts, CleaningRules())
    assert "all rights are reserved by the publisher." not in furniture
    assert "overview" not in furniture and "# overview" not in furniture


def test_clean_documents_drops_recurring_furniture_and_keeps_content() -> None:
    raw = [RawDocument(f"site/page{n}.html", f"Page {n}", _page(n)) for n in range(3)]
    documents = clean_documents(raw, CleaningRules())
    assert [d.text for d in documents] == [f"Article {n} says something specific about topic {n}." for n in range(3)]


def test_running_heads_are_label_lines_on_most_pages_with_numbers_masked() -> None:
    pages = [f"Annual Report 2024\nBody text of page {n} says something.\nPage {n} of 4" for n in range(1, 5)]
    assert running_heads(pages, CleaningRules()) == {"annual report #", "page # of #"}
    assert running_heads(pages[:2], CleaningRules()) == frozenset()  # two pages are too few to tell
    cleaner = Cleaner(CleaningRules(), heads=running_heads(pages, CleaningRules()))
    assert cleaner.clean(pages[2]) == "Body text of page 3 says something."
    assert cleaner.clean("Annual Report 2025\nPage 12 of 40") == ""


def test_clean_documents_keeps_page_spans_for_paged_sources() -> None:
    raw = RawDocument("report.pdf", "Report", "", pages=("Search\nFirst page text.", "", "Third page text."))
    (doc,) = clean_documents([raw], CleaningRules())
    assert doc.text == "First page text.\n\nThird page text."
    assert [doc.text[s:e] for _, s, e in doc.pages] == ["First page text.", "Third page text."]
    assert [n for n, _, _ in doc.pages] == [1, 3]


def test_the_same_file_named_twice_is_one_document() -> None:
    raw = RawDocument("data/a.txt", "A", "Only one copy of this text should remain.")
    assert len(clean_documents([raw, raw], CleaningRules())) == 1


def test_a_document_that_cleans_to_nothing_is_dropped() -> None:
    raw = RawDocument("nav.txt", "Nav", "Search\nMenu\nBack to top")
    assert clean_documents([raw], CleaningRules()) == []


def test_code_fences_and_the_lines_inside_them_are_neither_furniture_nor_navigation() -> None:
    texts = [f"A paragraph about topic {n} that runs on as prose.\n\n```\nnext\n}}\n```" for n in range(4)]
    rules = CleaningRules()
    furniture = recurring_furniture(texts, rules)
    assert "next" not in furniture and "}" not in furniture
    assert Cleaner(rules, furniture).clean(texts[0]) == texts[0]


def test_heading_rules_and_code_fences_are_never_furniture() -> None:
    # Every document in one markup repeats them; dropping them would cost each its headings and code.
    texts = [f"Title {n}\n=====\n\nBody {n} text here.\n\n```\ncode {n}\n```\n\n-----" for n in range(6)]
    assert recurring_furniture(texts, CleaningRules()) == frozenset()
