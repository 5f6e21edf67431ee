"""Property tests (hypothesis) over generated documents: offsets, dedup idempotence, passage identity."""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.clean import Cleaner, CleaningRules
from corpus.dedup import deduplicate
from corpus.loaders import RawDocument
from corpus.markup import plain_text
from corpus.model import Document, normalise, passage_id_for
from corpus.pipeline import clean_documents, passages_from
from corpus.structure import blocks

VOCABULARY = (
    "the agency programme coordination funding women girls violence report survivors national data UN "
    "OHCHR U.N. e.g. Dr. Samoa Mexico 2024 45% co-chair résumé naïve São Tomé Zürich Ελλάδα Москва 北京 "
    "ﬁnance ｆｕｌｌ café\u0301 emoji🙂 x\u200by"
).split()
BULLET_MARKER = re.compile(r"[-*•]|\(?\d{1,3}[.)]|\(?[a-z][.)]")
SPACES = st.sampled_from([" ", " ", " ", "  ", "\t", "\u00a0", "\u3000"])

settings.register_profile("corpus", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("corpus")


@st.composite
def sentences(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=40))
    out = words[0].capitalize()
    for word in words[1:]:
        out += draw(SPACES) + word
    return out + draw(st.sampled_from([".", ".", "!", "?", ";", ""]))


@st.composite
def paragraphs(draw: st.DrawFn) -> str:
    body = " ".join(draw(st.lists(sentences(), min_size=1, max_size=12)))
    if draw(st.booleans()):  # hard-wrap it
        width = draw(st.integers(30, 90))
        lines, line = [], ""
        for word in body.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        body = "\n".join([*lines, line])
    return body


@st.composite
def bullet_lists(draw: st.DrawFn) -> str:
    lead = draw(sentences()).rstrip(".!?;") + ":"
    marker = draw(st.sampled_from(["- ", "* ", "• ", "1. ", "a) "]))
    items = [marker + draw(sentences()) for _ in range(draw(st.integers(1, 5)))]
    return "\n".join([lead, *items])


@st.composite
def headings(draw: st.DrawFn) -> str:
    words = " ".join(draw(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=6)))
    return draw(st.sampled_from(["# ", "## ", "### ", ""])) + words[:1].upper() + words[1:]


@st.composite
def scraped(draw: st.DrawFn) -> str:
    """A paragraph with what a web scrape leaves on it: fused UI phrases, navigation lines."""
    body = draw(paragraphs()).rstrip(".!?;") + "."  # a trailing phrase is only UI after a sentence end
    return draw(st.sampled_from(["", "View More", "Read more", "Show less", "Search\n", "Menu\n"])) + body + draw(
        st.sampled_from(["", " Read more »", "\nBack to top", " View more"])
    )


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(paragraphs(), bullet_lists(), headings(), scraped()), min_size=1, max_size=10))
    out = ""
    for part in parts:
        out += part + draw(st.sampled_from(["\n", "\n\n", "\n\n\n", "\r\n", "\n \t\n", "  \n\n"]))
    return draw(st.sampled_from(["", "\n", "  ", "\ufeff"])) + out


def _docs(texts: list[str], prefix: str = "doc") -> list[Document]:
    raw = [RawDocument(f"{prefix}{i}.txt", f"Doc {i}", t) for i, t in enumerate(texts)]
    return clean_documents(raw, CleaningRules())


@given(st.lists(documents(), min_size=1, max_size=3))
def test_offsets_round_trip_on_generated_documents(texts: list[str]) -> None:
    docs = _docs(texts)
    by_id = {d.doc_id: d for d in docs}
    for p in passages_from(docs, max_words=60):
        doc = by_id[p.doc_id]
        assert doc.text[p.start : p.end] == p.text
        assert p.text and p.text == p.text.strip()
        assert p.passage_id == passage_id_for(p.text)
        for loc in p.also_at:
            assert by_id[loc.doc_id].text[loc.start : loc.end].strip()


@given(documents())
def test_blocks_are_ordered_disjoint_and_lose_no_line_but_headings(text: str) -> None:
    text = Cleaner(CleaningRules()).clean(text)
    found = blocks(text)
    for a, b in itertools.pairwise(found):
        assert a.end <= b.start
    covered = [False] * len(text)
    for b in found:
        covered[b.start : b.end] = [True] * (b.end - b.start)
    pos = 0
    for line in text.split("\n"):
        left_out = "".join(c for c, hit in zip(line, covered[pos : pos + len(line)], strict=True) if not hit)
        pos += len(line) + 1
        # What no block holds is whitespace, a bullet marker, or a whole line (a heading).
        assert not left_out.strip() or left_out == line or BULLET_MARKER.fullmatch(left_out.strip()), line


@given(st.lists(documents(), min_size=1, max_size=3))
def test_building_a_corpus_concatenated_with_itself_yields_the_same_passages(texts: list[str]) -> None:
    once = passages_from(_docs(texts))
    twice = passages_from(_docs(texts) + _docs(texts, prefix="copy"))
    assert [replace(p, also_at=()) for p in twice] == [replace(p, also_at=()) for p in once]


@given(st.lists(st.one_of(paragraphs(), sentences()), min_size=1, max_size=12))
def test_deduplicate_is_idempotent(texts: list[str]) -> None:
    first = deduplicate(texts)
    kept = [t for i, t in enumerate(texts) if i not in first.duplicate_of]
    assert deduplicate(kept).duplicate_of == {}
    doubled = deduplicate(texts + texts)
    n = len(texts)
    assert {i: j for i, j in doubled.duplicate_of.items() if i < n} == first.duplicate_of
    assert all(i in doubled.duplicate_of for i in range(n, 2 * n))


@st.composite
def respellings(draw: st.DrawFn) -> tuple[str, str]:
    """A text and a spelling of it that differs only in case, spacing or compatibility forms."""
    text = draw(sentences())
    words = text.split()
    changed = []
    for word in words:
        style = draw(st.sampled_from(["same", "upper", "lower", "nfkd", "wide"]))
        if style == "upper":
            word = word.upper()
        elif style == "lower":
            word = word.lower()
        elif style == "nfkd":
            word = unicodedata.normalize("NFKD", word)
        elif style == "wide":
            word = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
        changed.append(word)
    spaced = draw(SPACES).join(changed)
    return text, draw(SPACES) + spaced + draw(st.sampled_from(["", "\n", "  "]))


@given(respellings())
def test_passage_id_depends_only_on_normalised_text(pair: tuple[str, str]) -> None:
    text, respelt = pair
    assert normalise(text) == normalise(respelt)
    assert passage_id_for(text) == passage_id_for(respelt)


@given(sentences(), sentences())
def test_different_normalised_texts_get_different_ids(a: str, b: str) -> None:
    assert (passage_id_for(a) == passage_id_for(b)) == (normalise(a) == normalise(b))


@given(sentences(), st.sampled_from(["a.txt", "b/c.md", "x.pdf"]), st.integers(0, 3))
def test_the_same_text_anywhere_gets_the_same_id(sentence: str, source: str, padding: int) -> None:
    text = "Intro paragraph here.\n\n" * padding + sentence
    (doc,) = _docs([text], prefix=source) or [None]
    if doc is None:
        return
    ids = {p.passage_id for p in passages_from([doc]) if normalise(p.text) == normalise(sentence)}
    assert ids <= {passage_id_for(sentence)}


@given(documents())
def test_cleaning_is_idempotent_and_leaves_no_ui_residue(text: str) -> None:
    cleaner = Cleaner(CleaningRules())
    once = cleaner.clean(text)
    assert cleaner.clean(once) == once
    for line in once.splitlines():
        assert normalise(line) not in {"search", "menu", "back to top"}
        assert not normalise(line).startswith(("view more", "read more", "show less"))
        assert not normalise(line).endswith(("read more »", "view more"))


@st.composite
def titled(draw: st.DrawFn) -> str:
    """A document that may open with its title: plain, Markdown, setext or reStructuredText."""
    title = draw(headings()).lstrip("# ")
    form = draw(st.sampled_from(["", "{t}\n\n", "# {t}\n\n", "{t}\n{u}\n", "{u}\n{t}\n{u}\n\n"]))
    underline = draw(st.sampled_from("=-~*")) * max(3, len(title))
    return form.format(t=title, u=underline) + draw(documents())


@given(st.lists(titled(), min_size=1, max_size=2))  # fewer than 3: no corpus-wide furniture
def test_a_lifted_title_leaves_the_rest_of_the_text_and_every_offset_intact(texts: list[str]) -> None:
    cleaner = Cleaner(CleaningRules())
    raw = [RawDocument(f"doc{i}.txt", None, t, title_in_text=True) for i, t in enumerate(texts)]
    docs = clean_documents(raw, CleaningRules())
    for doc in docs:
        # The same reading the pipeline does (markup rendered as text, then cleaned): only the opening lines go.
        cleaned = cleaner.clean(plain_text(doc.source, texts[int(doc.source[3:-4])]))
        assert doc.title.strip() and " ".join(cleaned.split()).endswith(" ".join(doc.text.split()))
    by_id = {d.doc_id: d for d in docs}
    for p in passages_from(docs, max_words=60):
        assert by_id[p.doc_id].text[p.start : p.end] == p.text
