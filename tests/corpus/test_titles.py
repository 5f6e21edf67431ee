"""Titles come from the document itself (opening heading or title line, HTML <title>/<h1>, PDF metadata or
first heading), a sidecar's title wins, and the file name is the last resort; the title line is lifted
out of the text, so it is neither a passage nor the context of the body."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus_helpers import PDF_PAGES, write_pdf

from corpus.clean import CleaningRules
from corpus.loaders import RawDocument, load_file
from corpus.pipeline import PreparedCorpus, clean_documents, prepare
from corpus.titles import html_title, pdf_title, title_from_name, title_line

BODY = "The essay argues that small teams ship faster. It gives three reasons, each from a real project."


def _prepare(tmp_path: Path, name: str, text: str) -> PreparedCorpus:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return prepare([path])


def _check_offsets(prepared: PreparedCorpus) -> None:
    by_id = {d.doc_id: d for d in prepared.documents}
    for p in prepared.passages:
        assert by_id[p.doc_id].text[p.start : p.end] == p.text


# -- the opening title line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title", "body"),
    [
        (f"How to Start a Startup\n\n{BODY}", "How to Start a Startup", BODY),
        (f"Why TV Lost\n{BODY}", "Why TV Lost", BODY),
        (f"Why TV Lost\nby Paul Graham\n\n{BODY}\n\nthe second paragraph.", "Why TV Lost", f"by Paul Graham\n\n{BODY}\n\nthe second paragraph."),
        (f"Is It Worth Being Wise?\n\n{BODY}", "Is It Worth Being Wise?", BODY),
        (f"Programming Bottom-Up (1993)\n\n{BODY}", "Programming Bottom-Up (1993)", BODY),
        (f"\n\n# Field notes #\n\n## Samoa\n\n{BODY}", "Field notes", f"## Samoa\n\n{BODY}"),
        (f"Field notes\n===========\n\n{BODY}", "Field notes", BODY),
        (f"Field notes\n---\n{BODY}", "Field notes", BODY),
        (f"===========\nField notes\n===========\n\n{BODY}", "Field notes", BODY),
        (f"Field notes\n~~~~~~~~~~~\n\n{BODY}", "Field notes", BODY),
    ],
    ids=["plain", "plain-then-body", "byline", "question", "brackets", "atx", "setext", "setext-short", "rest-overline", "rest"],
)
def test_a_text_opening_with_its_title_gives_the_title_and_where_the_body_starts(text: str, title: str, body: str) -> None:
    found = title_line(text)
    assert found is not None
    assert (found.title, text[found.end :]) == (title, body)


@pytest.mark.parametrize(
    "text",
    [
        f"{BODY}\n\nA second paragraph.",  # a sentence
        "It worked.\n\nA second paragraph.",  # short, but a sentence
        "The agency opened four offices\nin the region and hired staff.",  # runs on into lower case
        "The following examples show it:\n\n- one\n- two",  # a lead-in
        "- A bullet first\n- another bullet",
        "## Background\n\nA second-level heading opens a section, not the document.",
        "[![build](https://ci.example/badge.svg)](https://ci.example)\n\nText.",
        "One two three four five six seven eight nine ten eleven twelve thirteen\n\nText.",
        "# A title and nothing else\n",
        "Only a short line",
        "",
    ],
    ids=["sentence", "short-sentence", "wrapped", "lead-in", "bullet", "h2", "badge", "13-words", "no-body", "one-line", "empty"],
)
def test_a_text_whose_first_line_is_no_title_has_none(text: str) -> None:
    assert title_line(text) is None


def test_in_hard_wrapped_text_a_line_the_next_word_would_not_have_fitted_after_is_no_title() -> None:
    wrapped = (
        "Coordination across the agencies improved markedly in the islands of Samoa\n"
        "Mozambique and Haiti, where the resident coordinator led the work of the teams\n"
        "and it went on for years in each of the places where the programme was at work\n"
        "until the end of the decade, when the last of the offices closed its doors for good.\n"
    )
    assert title_line(wrapped) is None
    assert title_line("Coordination across agencies\n\n" + wrapped) is not None


# -- through the pipeline ----------------------------------------------------------------------------


ESSAYS = {
    "worked.txt": "What Worked\n\nThe first project shipped in a week. Its team had three people.\n\nThe second took a year.",
    "essay.txt": "Essay on Teams\n\nSmall teams talk less and decide more. That is the whole argument.",
    "plain.txt": "The file opens with a sentence, so no title.\n\nIts second paragraph is plain too.",
}


def test_essays_are_titled_by_their_first_line_which_is_neither_a_passage_nor_a_context(tmp_path: Path) -> None:
    for name, text in ESSAYS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    prepared = prepare([tmp_path])
    titles = {Path(d.source).name: d.title for d in prepared.documents}
    assert titles == {"worked.txt": "What Worked", "essay.txt": "Essay on Teams", "plain.txt": "Plain"}
    for p in prepared.passages:
        assert p.context is None
        assert p.text not in {"What Worked", "Essay on Teams"}
    by_source = {Path(d.source).name: d for d in prepared.documents}
    assert by_source["worked.txt"].text.startswith("The first project shipped")
    assert by_source["plain.txt"].text == ESSAYS["plain.txt"]
    _check_offsets(prepared)


def test_markdown_title_is_lifted_and_its_sections_keep_their_headings(tmp_path: Path) -> None:
    prepared = _prepare(tmp_path, "notes.md", f"# Field notes\n\n{BODY}\n\n## Samoa\n\nThe programme in Samoa grew.")
    (doc,) = prepared.documents
    assert doc.title == "Field notes" and not doc.text.startswith("#")
    assert [(p.text[:12], p.context) for p in prepared.passages] == [("The essay ar", None), ("The programm", "Samoa")]
    _check_offsets(prepared)


def test_setext_title_is_lifted(tmp_path: Path) -> None:
    prepared = _prepare(tmp_path, "notes.md", f"Field notes\n===========\n\n{BODY}\n\nSamoa\n-----\n\nThe programme grew.")
    (doc,) = prepared.documents
    assert doc.title == "Field notes"
    assert [(p.text, p.context) for p in prepared.passages] == [(BODY, None), ("The programme grew.", "Samoa")]
    _check_offsets(prepared)


def test_restructuredtext_title_with_overline_is_lifted(tmp_path: Path) -> None:
    text = f"==============\nA Guide to Tea\n==============\n\n{BODY}\n\nGreen tea\n*********\n\nGreen tea is steamed."
    prepared = _prepare(tmp_path, "guide.txt", text)
    (doc,) = prepared.documents
    assert doc.title == "A Guide to Tea"
    assert [(p.text, p.context) for p in prepared.passages] == [(BODY, None), ("Green tea is steamed.", "Green tea")]


def test_a_first_level_heading_after_a_preamble_still_names_a_markdown_file(tmp_path: Path) -> None:
    text = f"[![build](https://ci.example/badge.svg)](https://ci.example)\n\n# Orchard tools\n\n{BODY}"
    (doc,) = _prepare(tmp_path, "README.md", text).documents
    assert doc.title == "Orchard tools"


def test_the_file_name_is_the_last_resort(tmp_path: Path) -> None:
    prepared = _prepare(tmp_path, "small-teams_2024.txt", f"{BODY}\n\nA second paragraph, also a sentence.")
    assert [d.title for d in prepared.documents] == ["Small teams 2024"]
    assert prepared.passages[0].text == BODY
    assert title_from_name("docs/annual-report.md") == "Annual report"


def test_a_navigation_line_above_the_title_is_cleaned_away_first(tmp_path: Path) -> None:
    (doc,) = _prepare(tmp_path, "page.txt", f"Search\nWhy TV Lost\n\n{BODY}").documents
    assert doc.title == "Why TV Lost"


# -- the sidecar ---------------------------------------------------------------------------------------


def _sidecar(path: Path, title: str) -> None:
    path.with_name(path.name + ".meta.json").write_text(json.dumps({"title": title}), encoding="utf-8")


def test_a_sidecar_title_wins_and_a_different_first_line_stays_as_a_context(tmp_path: Path) -> None:
    path = tmp_path / "essay.txt"
    path.write_text(f"Essay on Teams\n\n{BODY}", encoding="utf-8")
    _sidecar(path, "Small teams, by the editors")
    prepared = prepare([path])
    assert prepared.documents[0].title == "Small teams, by the editors"
    assert [(p.text, p.context) for p in prepared.passages] == [(BODY, "Essay on Teams")]


def test_a_first_line_repeating_the_sidecar_title_is_lifted(tmp_path: Path) -> None:
    path = tmp_path / "essay.txt"
    path.write_text(f"Essay on  teams\n\n{BODY}", encoding="utf-8")
    _sidecar(path, "Essay on Teams")
    prepared = prepare([path])
    assert prepared.documents[0].title == "Essay on Teams"
    assert [(p.text, p.context) for p in prepared.passages] == [(BODY, None)]


# -- HTML ------------------------------------------------------------------------------------------------


def _page(title: str | None, h1: str | None) -> str:
    head = f"<title>{title}</title>" if title is not None else ""
    heading = f"<h1>{h1}</h1>" if h1 is not None else ""
    return (
        f"<html><head>{head}</head><body><main>{heading}<p>{BODY}</p>"
        "<h2>Results</h2><p>The results were good in every one of the three projects we studied.</p></main></body></html>"
    )


@pytest.mark.parametrize(
    ("title", "h1", "expected"),
    [
        ("Chapter 3. Analysing the Setup — Debian Handbook", "Chapter 3. Analysing the Setup", "Chapter 3. Analysing the Setup"),
        ("PostgreSQL: Documentation: 15: 5.2. Default Values", "5.2. Default Values", "5.2. Default Values"),
        ("Orchard report", "Welcome to our site", "Orchard report"),
        ("Orchard report", None, "Orchard report"),
        (None, "Orchard report", "Orchard report"),
    ],
    ids=["site-suffix", "site-prefix", "h1-elsewhere", "no-h1", "no-title"],
)
def test_html_prefers_its_title_and_takes_the_h1_the_title_holds_with_a_site_name(
    tmp_path: Path, title: str | None, h1: str | None, expected: str
) -> None:
    path = tmp_path / "page.html"
    path.write_text(_page(title, h1), encoding="utf-8")
    (raw,) = load_file(path)
    assert raw.title == expected
    prepared = prepare([path])
    assert prepared.documents[0].title == expected
    first = prepared.passages[0]
    assert first.text == BODY
    # The h1 is the context of the body only when it says something the title does not.
    assert first.context == (h1 if h1 is not None and h1 != expected else None)
    _check_offsets(prepared)


def test_html_title_rule() -> None:
    assert html_title("  Foo   — Site ", ["Foo"]) == "Foo"
    assert html_title("Chapter 3. Foo — Debian Handbook", ["Debian", "Chapter 3. Foo"]) == "Chapter 3. Foo"
    assert html_title("Foo", [" "]) == "Foo"
    assert html_title(None, ["First", "Second"]) == "First"
    assert html_title(None) is None


# -- PDF ---------------------------------------------------------------------------------------------------


def test_a_pdf_is_titled_by_its_metadata_and_its_first_heading_stays_a_context(tmp_path: Path) -> None:
    prepared = prepare([write_pdf(tmp_path / "r.pdf", title="Annual report on coordination")])
    assert prepared.documents[0].title == "Annual report on coordination"
    assert prepared.passages[0].context == "Coordination in the field"


@pytest.mark.parametrize("metadata", ["", "Microsoft Word - annual_report_final.docx"])
def test_a_pdf_without_a_real_metadata_title_is_titled_by_its_first_heading(tmp_path: Path, metadata: str) -> None:
    prepared = prepare([write_pdf(tmp_path / "r.pdf", title=metadata)])
    (doc,) = prepared.documents
    assert doc.title == "Coordination in the field"
    assert [(p.page, p.context) for p in prepared.passages] == [(1, None), (2, "Funding and results"), (3, "Funding and results")]
    assert prepared.passages[0].text.startswith("The first page describes")
    assert [n for n, _, _ in doc.pages] == [1, 2, 3] and doc.pages[0][1] == 0
    _check_offsets(prepared)


def test_a_pdf_cover_page_holding_only_its_title_is_dropped_from_the_pages(tmp_path: Path) -> None:
    pages = ((None, ["Orchard Pollination Study"]), *PDF_PAGES)
    prepared = prepare([write_pdf(tmp_path / "r.pdf", pages, title="")])
    (doc,) = prepared.documents
    assert doc.title == "Orchard Pollination Study"
    assert [n for n, _, _ in doc.pages] == [2, 3, 4]
    assert [p.page for p in prepared.passages] == [2, 3, 4]
    _check_offsets(prepared)


def test_pdf_title_rule() -> None:
    assert pdf_title("  Annual   report ") == "Annual report"
    assert pdf_title("report_final.pdf") is None and pdf_title("Untitled") is None and pdf_title(None) is None


# -- records whose title is given ------------------------------------------------------------------------


def test_a_given_title_is_kept_and_the_text_left_alone_unless_it_may_open_with_its_title() -> None:
    given = RawDocument("a.md", "Spotlight", f"# Spotlight\n\n{BODY}")
    (doc,) = clean_documents([given], CleaningRules())
    assert (doc.title, doc.text) == ("Spotlight", f"# Spotlight\n\n{BODY}")
    untitled = RawDocument("notes/what-worked.txt", None, BODY)
    assert clean_documents([untitled], CleaningRules())[0].title == "What worked"
