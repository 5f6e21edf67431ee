"""Loading every supported format, skipping what cannot be read with a reason, and BEIR corpus.jsonl."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from corpus_helpers import PDF_PAGES, MixedFolder, write_pdf

from corpus.loaders import LoadError, load_beir, load_file, load_paths
from corpus.pipeline import prepare


def _names(sources: list[str]) -> set[str]:
    return {Path(s.split("#")[0]).name for s in sources}


def test_every_readable_format_loads_and_every_corrupt_file_is_skipped_by_name(
    mixed_folder: MixedFolder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        documents, skipped = load_paths([mixed_folder.root])
    assert _names([d.source for d in documents]) == set(mixed_folder.readable)
    assert _names([s.source for s in skipped]) == set(mixed_folder.corrupt)
    for name in mixed_folder.corrupt:
        assert any(name in record.getMessage() for record in caplog.records), name
    reasons = {Path(s.source).name: s.reason for s in skipped}
    assert reasons["empty.md"] == "the file is empty"
    assert reasons["binary.txt"] == "it is a binary file, not text"
    assert reasons["undecodable.txt"] == "it is not valid UTF-8 text"
    assert reasons["broken.pdf"].startswith("not a readable PDF")


def test_the_folder_builds_and_the_report_names_the_skipped_files(mixed_folder: MixedFolder) -> None:
    prepared = prepare([mixed_folder.root])
    report = prepared.report
    assert report.documents_read == len(mixed_folder.readable)
    assert {Path(d.source).name for d in prepared.documents} == set(mixed_folder.readable)
    assert prepared.passages
    lines = report.lines()
    assert f"files skipped       {len(mixed_folder.corrupt)}" in lines
    for name in mixed_folder.corrupt:
        assert any(line.startswith("  skipped ") and name in line for line in lines), name
    by_id = {d.doc_id: d for d in prepared.documents}
    for p in prepared.passages:
        assert by_id[p.doc_id].text[p.start : p.end] == p.text


def test_pdf_passages_carry_their_page_numbers(mixed_folder: MixedFolder) -> None:
    prepared = prepare([mixed_folder.root / "nested" / "report.pdf"])
    (doc,) = prepared.documents
    assert doc.title == "Annual report"
    pages = {p.text.split()[1]: p.page for p in prepared.passages}
    assert pages == {"first": 1, "second": 2, "third": 3}
    contexts = {p.page: p.context for p in prepared.passages}
    assert contexts[1] == "Coordination in the field" and contexts[2] == "Funding and results"


def test_pdf_running_headers_and_page_numbers_are_dropped(tmp_path: Path) -> None:
    more = tuple((None, [f"Page {n} of the report covers a different district, number {n}, in detail."]) for n in (4, 5))
    pdf = write_pdf(tmp_path / "r.pdf", PDF_PAGES + more, running_head="Annual Report 2024")
    prepared = prepare([pdf])
    (doc,) = prepared.documents
    assert "Annual Report" not in doc.text and "Page 2" not in doc.text
    assert [p.context for p in prepared.passages] == [
        "Coordination in the field", "Funding and results", "Funding and results", "Funding and results", "Funding and results",
    ]
    assert [p.page for p in prepared.passages] == [1, 2, 3, 4, 5]


def test_pdf_page_spans_are_offsets_into_the_document_text(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "r.pdf")
    (doc,) = prepare([pdf]).documents
    assert [n for n, _, _ in doc.pages] == [1, 2, 3]
    assert doc.text[doc.pages[1][1] : doc.pages[1][2]].startswith("Funding and results")
    assert doc.page_at(doc.pages[2][1]) == 3 and doc.page_at(len(doc.text)) is None


def test_html_keeps_headings_and_lists_and_drops_navigation(mixed_folder: MixedFolder) -> None:
    (raw,) = load_file(mixed_folder.root / "page.html")
    assert raw.title == "IOM and gender-based violence"
    prepared = prepare([mixed_folder.root / "page.html"])
    texts = [p.text for p in prepared.passages]
    assert not any(t in {"Home", "Search", "Back to top"} for t in texts)
    bullets = [p for p in prepared.passages if p.text.startswith(("A substantial", "More than eight"))]
    assert len(bullets) == 2
    assert {b.context for b in bullets} == {"In 2024, IOM continued to pursue key milestones. The following milestones were met in 2024:"}


def test_markdown_headings_and_the_meta_title_are_used(mixed_folder: MixedFolder) -> None:
    prepared = prepare([mixed_folder.root / "field.md", mixed_folder.root / "notes.txt"])
    titles = {Path(d.source).name: d.title for d in prepared.documents}
    assert titles == {"field.md": "Field notes", "notes.txt": "Notes from the field"}
    contexts = {p.text[:24]: p.context for p in prepared.passages if p.source.endswith("field.md")}
    assert contexts == {"The programme in Samoa e": "Samoa", "The statistical framewor": "Mexico"}


def test_windows_1252_text_is_read_with_a_warning_naming_the_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Caf\u00e9 society \u2013 a note on r\u00e9sum\u00e9s.".encode("cp1252"))
    with caplog.at_level(logging.WARNING):
        (raw,) = load_file(path)
    assert raw.text == "Caf\u00e9 society \u2013 a note on r\u00e9sum\u00e9s."
    assert any("legacy.txt" in r.getMessage() and "Windows-1252" in r.getMessage() for r in caplog.records)


def test_utf16_and_bom_text_is_read(tmp_path: Path) -> None:
    (tmp_path / "u16.txt").write_bytes("Texte en UTF-16 : déjà vu.".encode("utf-16"))
    (tmp_path / "bom.txt").write_bytes("\ufeffA file that starts with a byte-order mark.".encode())
    documents, skipped = load_paths([tmp_path])
    assert skipped == []
    assert sorted(d.text for d in documents) == ["A file that starts with a byte-order mark.", "Texte en UTF-16 : déjà vu."]


def test_unsupported_and_missing_paths_are_skipped_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "ok.txt").write_text("A readable line of text.", encoding="utf-8")
    documents, skipped = load_paths([tmp_path, tmp_path / "ok.txt", tmp_path / "missing.txt"])
    assert [Path(d.source).name for d in documents] == ["ok.txt", "ok.txt"]
    reasons = {Path(s.source).name: s.reason for s in skipped}
    assert reasons == {"image.png": "unsupported file type '.png'", "missing.txt": "no such file or folder"}


def test_a_file_with_only_whitespace_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "blank.txt").write_text("  \n\n\t\n", encoding="utf-8")
    documents, skipped = load_paths([tmp_path])
    assert documents == []
    assert [(Path(s.source).name, s.reason) for s in skipped] == [("blank.txt", "it holds no text")]


# -- BEIR corpus.jsonl --------------------------------------------------------------------------


def _beir(path: Path, lines: list[object]) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return path


def test_beir_records_become_documents_with_their_ids(tmp_path: Path) -> None:
    path = _beir(
        tmp_path / "corpus.jsonl",
        [
            {"_id": "doc1", "title": "Spotlight", "text": "Spotlight Initiative leveraged UN agencies' expertise."},
            "",
            {"_id": 2, "title": "", "text": "A record without a title still loads."},
            {"_id": "empty", "title": "Nothing", "text": ""},
        ],
    )
    docs = list(load_beir(path))
    assert [d.external_id for d in docs] == ["doc1", "2"]
    assert [d.title for d in docs] == ["Spotlight", "2"]
    assert docs[0].source.endswith("corpus.jsonl#doc1")
    prepared = prepare([path])
    assert {p.text for p in prepared.passages} == {
        "Spotlight Initiative leveraged UN agencies' expertise.",
        "A record without a title still loads.",
    }
    spotlight = next(p for p in prepared.passages if p.text.startswith("Spotlight"))
    assert spotlight.context == "Spotlight" and spotlight.title == "Spotlight"
    assert {d.external_id for d in prepared.documents} == {"doc1", "2"}


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ('{"_id": "x", "text": "unterminated', "line 3 is not a BEIR record"),
        ('{"title": "no id", "text": "some text"}', "line 3 is not a BEIR record"),
        ('["a", "list"]', "line 3 is not a BEIR record"),
        ('{"_id": "x", "text": 42}', "line 3: 'text' and 'title' must be strings"),
    ],
)
def test_a_malformed_beir_line_gives_a_load_error_naming_the_line(tmp_path: Path, bad: str, why: str) -> None:
    path = _beir(tmp_path / "corpus.jsonl", [{"_id": "a", "text": "First."}, {"_id": "b", "text": "Second."}, bad])
    with pytest.raises(LoadError, match=why):
        list(load_beir(path))
    documents, skipped = load_paths([path])
    assert documents == []
    assert len(skipped) == 1 and why in skipped[0].reason
