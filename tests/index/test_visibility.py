"""Behind a filter, a deduplicated passage is seen where it stands in a document the filter lets through: that
document's own wording (a near copy differs), place, title and source, and no trace of the document kept out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from corpus.model import passage_id_for
from index.build import build_index
from index.config import Mode
from index.embed import HashingEmbedder
from index.engine import Engine
from index.filters import Filter

COPY = (
    "The lighthouse keeper rings the fog bell every fifteen minutes from dusk until the harbour pilot "
    "reports clear water along the northern channel."
)
HIDDEN_PREFIX = "Confidential: the keeper earns a night bonus."
# Sorted, a-hidden/ comes first: its paragraph is kept, and b-visible/'s shorter copy (every 3-word shingle of it
# inside the kept one) is recorded as a near duplicate of it.
DOCUMENTS = {
    "a-hidden/keeper.md": f"# Keeper contract\n\n## Duties\n\n{HIDDEN_PREFIX} {COPY}\n\n## Pay\n\nThe keeper's pay is reviewed each March.\n",
    "b-visible/guide.md": f"# Harbour guide\n\n{COPY}\n\nVisitors may climb the lighthouse on Sundays.\n",
}
VISIBLE = Filter.of(["*b-visible/*"])


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("visibility")
    for name, text in DOCUMENTS.items():
        (root / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "docs" / name).write_text(text, encoding="utf-8")
    build_index([root / "docs"], root / "index", HashingEmbedder(), progress=False)
    opened = Engine.open(root / "index")
    yield opened
    opened.close()


def documents(engine: Engine) -> dict[str, str]:
    return {d.source.rsplit("/", 2)[-2]: d.doc_id for d in engine.index.store.documents()}


def test_the_copy_was_deduplicated_into_the_hidden_document(engine: Engine) -> None:
    """The premise of the tests below: one stored passage, kept in a-hidden, with b-visible among its places."""
    ids = documents(engine)
    kept = [p for p in engine.index.store.passages() if COPY in p.text]
    assert len(kept) == 1 and kept[0].doc_id == ids["a-hidden"]
    assert [place.doc_id for place in kept[0].also_at] == [ids["b-visible"]]


@pytest.mark.parametrize("mode", list(Mode))
def test_a_filtered_search_finds_the_copy_in_the_visible_document_in_its_own_words(engine: Engine, mode: Mode) -> None:
    ids = documents(engine)
    outcome = engine.search(engine.query("when does the keeper ring the fog bell", mode), 5, VISIBLE)
    assert outcome.results and {r.passage.doc_id for r in outcome.results} == {ids["b-visible"]}
    (copy,) = [r.passage for r in outcome.results if COPY in r.passage.text]
    guide = engine.document(ids["b-visible"])
    assert guide is not None
    assert copy.text == COPY == guide.text[copy.start : copy.end]
    assert (copy.title, copy.source, copy.context, copy.also_at) == (guide.title, guide.source, None, ())
    for result in outcome.results:
        assert HIDDEN_PREFIX not in result.passage.text
        if result.highlight is not None:
            assert result.passage.text[result.highlight.start : result.highlight.end] == result.highlight.text
    answer = engine.ask(engine.query("when does the keeper ring the fog bell", mode), 5, VISIBLE)
    assert "Confidential" not in answer.answer and "night bonus" not in answer.answer


def test_without_a_filter_the_kept_copy_and_its_other_place_are_shown(engine: Engine) -> None:
    ids = documents(engine)
    outcome = engine.search(engine.query("when does the keeper ring the fog bell"), 5)
    (kept,) = [r.passage for r in outcome.results if COPY in r.passage.text]
    assert kept.doc_id == ids["a-hidden"] and HIDDEN_PREFIX in kept.text
    assert [place.doc_id for place in kept.also_at] == [ids["b-visible"]]


def test_lookups_by_id_behind_a_filter(engine: Engine) -> None:
    ids = documents(engine)
    pid = next(p.passage_id for p in engine.index.store.passages() if COPY in p.text)
    seen = engine.passage(pid, VISIBLE)
    assert seen is not None and seen.doc_id == ids["b-visible"] and seen.text == COPY
    assert engine.passage(pid, Filter.of(["*a-hidden/*"])).doc_id == ids["a-hidden"]  # type: ignore[union-attr]
    assert engine.passage(pid, Filter.of(["*elsewhere/*"])) is None
    assert engine.passage(passage_id_for("The keeper's pay is reviewed each March."), VISIBLE) is None
    assert engine.document(ids["a-hidden"], VISIBLE) is None
    assert engine.document(ids["b-visible"], VISIBLE) is not None
