"""Hostile documents through `cited build`: markup, entities, bidi and zero-width characters, a 5 MB line, an
empty file and a binary file named .txt are indexed as plain text or skipped with a warning that names them."""

from __future__ import annotations

import re

import pytest

from corpus.clean import Cleaner, CleaningRules, strip_controls
from corpus.loaders import RawDocument
from corpus.pipeline import clean_documents
from index.load import load_index

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.fixture(scope="module")
def built(hostile_build):
    assert hostile_build.returncode == 0, hostile_build.stderr
    loaded = load_index(hostile_build.index)
    yield hostile_build, loaded
    loaded.close()


def _report(out: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"(?m)^([a-z][a-z ]+?) {2,}(\S.*)$", out)}


def test_the_build_succeeds_and_names_each_skipped_file_with_its_reason(built) -> None:
    build, _ = built
    report = _report(build.stdout)
    assert report["documents read"] == "5"  # script, entities, bidi, the hostile file name, the 5 MB line
    assert report["files skipped"] == "2"
    skipped = [line.strip() for line in build.stdout.splitlines() if line.startswith("  skipped ")]
    assert any(line.endswith("empty.txt: the file is empty") for line in skipped), skipped
    assert any(line.endswith("binary.txt: it is a binary file, not text") for line in skipped), skipped
    warnings = [line for line in build.stderr.splitlines() if line.startswith("WARNING")]
    assert any("empty.txt" in w for w in warnings) and any("binary.txt" in w for w in warnings), build.stderr
    assert "Traceback" not in build.stderr


def test_markup_is_kept_as_text_not_stripped_or_interpreted(built) -> None:
    _, loaded = built
    texts = loaded.store.texts()
    assert any("The harbour master logs every <script>document.title='pwned'" in t for t in texts)
    assert any("<svg onload=alert('svg')></svg> stay text." in t for t in texts)
    # Entities are decoded once by the HTML reader: the page must then show "<script>" as text.
    assert any("alert('entity')" in t and "R&D ©" in t for t in texts)
    titles = {d.source.rsplit("/", 1)[-1]: d.title for d in loaded.store.documents()}
    assert titles["script.md"].startswith("<script>document.title='pwned'")
    assert titles["<img id=injected src=x onerror=alert('name')>.md"] == "Orchard ledger"


def test_bidi_overrides_and_invisible_breaks_are_removed_but_scripts_kept(built) -> None:
    _, loaded = built
    (doc,) = [d for d in loaded.store.documents() if d.source.endswith("bidi.txt")]
    assert not any(c in doc.text for c in BIDI_CONTROLS + "\u200b\u2060\ufeff")
    assert "desert oasis of \u05e9\u05dc\u05d5\u05dd and \u0645\u0631\u062d\u0628\u0627" in doc.text
    assert "Zerowidth\u200d joiners and word joiners" in doc.text  # ZWJ shapes emoji and Indic text: kept


def test_a_5_mb_single_line_is_indexed_in_passage_sized_pieces(built) -> None:
    build, loaded = built
    assert (build.corpus / "huge-line.txt").stat().st_size >= 5 * 1024 * 1024
    (doc,) = [d for d in loaded.store.documents() if d.source.endswith("huge-line.txt")]
    pieces = [p for p in loaded.store.passages() if p.doc_id == doc.doc_id]
    assert len(pieces) > 1000
    assert max(len(p.text) for p in pieces) < 20_000
    assert all(doc.text[p.start : p.end] == p.text for p in pieces)
    assert pieces[-1].text.endswith("The end of the very long line.")


def test_every_passage_offset_round_trips(built) -> None:
    _, loaded = built
    documents = {d.doc_id: d for d in loaded.store.documents()}
    for p in loaded.store.passages():
        assert documents[p.doc_id].text[p.start : p.end] == p.text


@pytest.mark.parametrize("control", [*BIDI_CONTROLS, "\u200b", "\u2060", "\ufeff", "\x00", "\x1b", "\x7f"])
def test_strip_controls_removes(control: str) -> None:
    assert strip_controls(f"a{control}b\tc\nd") == "ab\tc\nd"
    assert Cleaner(CleaningRules()).clean(f"A sentence{control} about oases.") == "A sentence about oases."


def test_titles_are_cleaned_like_text() -> None:
    raw = RawDocument("a.md", "\u202eTitle\u200b of the\x00 report", "The report says something useful about the oasis.")
    (doc,) = clean_documents([raw], CleaningRules())
    assert doc.title == "Title of the report"


def test_a_title_of_only_controls_gives_way_to_the_source() -> None:
    raw = RawDocument("docs/a.md", "\u202e\u200b", "The report says something useful about the oasis.")
    assert clean_documents([raw], CleaningRules())[0].title == "docs/a.md"


def test_hostile_file_names_are_kept_as_given(built: tuple) -> None:
    _, loaded = built
    sources = [d.source for d in loaded.store.documents()]
    assert any(s.endswith("/<img id=injected src=x onerror=alert('name')>.md") for s in sources)
