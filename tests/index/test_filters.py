"""Filters by source glob and document id: what they match, how they intersect, and that a filtered search is
exact (restricted inside both retrievers before the top k is cut) for every vector index type and mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index import retrieval
from index import vectors as vector_index
from index.build import build_index
from index.config import Mode
from index.embed import HashingEmbedder
from index.engine import Engine
from index.filters import Filter

TEAMS = ["harbour", "orchard", "quarry", "lighthouse", "bakery", "library", "tramway", "observatory"]
FOLDERS = ["hr", "eng", "public/news"]


def team_doc(folder: str, team: str, n: int) -> str:
    return (
        f"# The {team} office in {folder}\n\n"
        f"The {team} office budget for the year is {n * 7 + 11} thousand euros, approved by the board.\n\n"
        f"Staff of the {team} office work in {folder} and meet every {['Monday', 'Friday', 'Sunday'][n % 3]} at noon.\n"
    )


@pytest.fixture(scope="module")
def team_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("teams") / "docs"
    for f, folder in enumerate(FOLDERS):
        (root / folder).mkdir(parents=True)
        for t, team in enumerate(TEAMS):
            (root / folder / f"{team}.md").write_text(team_doc(folder, team, f * 10 + t), encoding="utf-8")
    return root


@pytest.fixture(scope="module", params=list(vector_index.IndexType))
def team_engine(request: pytest.FixtureRequest, team_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    index_dir = tmp_path_factory.mktemp(f"teams-{request.param.value}") / "index"
    build_index([team_corpus], index_dir, HashingEmbedder(), index_type=request.param, progress=False)
    engine = Engine.open(index_dir)
    yield engine
    engine.close()


# -- what a filter matches -----------------------------------------------------------------------


def test_a_star_crosses_folders_as_fnmatch_does() -> None:
    hr = Filter.of(["*hr/*"])
    assert hr.matches("d-1", "corpus/data/hr/leave.md")
    assert hr.matches("d-1", "/srv/docs/hr/2024/leave.md")
    assert not hr.matches("d-1", "corpus/data/eng/leave.md")
    assert not Filter.of(["hr/*"]).matches("d-1", "corpus/hr/leave.md")  # anchored at both ends
    assert not Filter.of(["*HR/*"]).matches("d-1", "corpus/hr/leave.md")  # case-sensitive, as paths are
    assert Filter.of(["*.pdf", "*hr/*"]).matches("d-1", "x/report.pdf")  # any glob of one request


def test_document_ids_and_globs_must_both_match() -> None:
    both = Filter.of(["*hr/*"], ["d-1"])
    assert both.matches("d-1", "a/hr/x.md")
    assert not both.matches("d-2", "a/hr/x.md")
    assert not both.matches("d-1", "a/eng/x.md")


def test_an_empty_list_matches_nothing_and_a_missing_one_anything() -> None:
    assert not Filter.of([]).matches("d-1", "a.md")
    assert not Filter.of(None, []).matches("d-1", "a.md")
    assert Filter.of(None, None).is_open and Filter.of(None, None).matches("d-1", "a.md")


def test_an_intersection_lets_through_only_what_both_let_through() -> None:
    key = Filter.of(["*hr/*"])  # what an access key may see
    asked = Filter.of(["*leave*"], ["d-1", "d-2"])  # what the client asks for
    both = key.intersect(asked)
    assert both.matches("d-1", "x/hr/leave.md")
    assert not both.matches("d-1", "x/eng/leave.md")  # the client cannot widen the key
    assert not both.matches("d-1", "x/hr/pay.md")
    assert not both.matches("d-3", "x/hr/leave.md")
    assert both.intersect(Filter.of(None, ["d-2"])).doc_ids == frozenset({"d-2"})
    assert key.intersect(None) == key
    other_way = asked.intersect(key)
    for doc_id, source in [("d-1", "x/hr/leave.md"), ("d-1", "x/eng/leave.md"), ("d-3", "x/hr/leave.md")]:
        assert other_way.matches(doc_id, source) == both.matches(doc_id, source)


# -- filtered searches ---------------------------------------------------------------------------


def sources(outcome) -> list[str]:
    return [r.passage.source for r in outcome.results]


@pytest.mark.parametrize("mode", list(Mode))
def test_a_filtered_search_returns_only_and_fully_the_matching_documents(team_engine: Engine, mode: Mode) -> None:
    query = team_engine.query("office budget approved by the board", mode)
    where = Filter.of(["*/eng/*"])
    outcome = team_engine.search(query, k=6, where=where)
    assert sources(outcome) and all("/eng/" in s for s in sources(outcome))
    # Exact: the filter restricts before the cut, so k results come back though most of the best lie elsewhere.
    assert len(outcome.results) == 6


@pytest.mark.parametrize("mode", list(Mode))
def test_one_document_is_found_by_its_id_however_low_it_ranks(team_engine: Engine, mode: Mode) -> None:
    query = team_engine.query("harbour office budget", mode)
    ranked = team_engine.search(query, k=50).results
    far = ranked[-1].passage.doc_id  # the document ranked last without a filter
    outcome = team_engine.search(query, k=3, where=Filter.of(None, [far]))
    assert outcome.results and {r.passage.doc_id for r in outcome.results} == {far}
    assert len(outcome.results) == len(team_engine.documents.rows[far])


@pytest.mark.parametrize("within", [retrieval.EXACT_WITHIN, 0], ids=["exact-scan", "faiss-selector"])
def test_the_dense_side_ranks_the_allowed_rows_as_a_full_scan_does(
    team_engine: Engine, within: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrieval, "EXACT_WITHIN", within)
    query = team_engine.query("staff meet every Friday at noon", Mode.DENSE)
    allowed = team_engine.allowed(Filter.of(["*/hr/*", "*/news/*"]))
    assert allowed is not None and len(allowed.doc_ids) == 2 * len(TEAMS)
    cosines = team_engine.index.vectors.reconstruct_batch(allowed.rows) @ query.vector
    order = np.argsort(-cosines, kind="stable")[:5]
    best = allowed.rows[order].tolist()
    if within:
        scores, rows = vector_index.search_rows(team_engine.index.vectors, query.vector, 5, allowed.rows)
    else:
        found_scores, found = vector_index.search(team_engine.index.vectors, query.vector[None, :], 5, allowed.selector)
        scores, rows = found_scores[0], found[0]
    if team_engine.index_type is vector_index.IndexType.FLAT or within:
        # The five best cosines among the allowed rows (equal cosines may come in another order).
        assert set(rows.tolist()) <= set(allowed.rows.tolist())
        assert np.allclose(scores, cosines[order], atol=1e-5)
    else:  # approximate indexes: only allowed rows, and the nearest of them
        assert set(rows.tolist()) <= set(allowed.rows.tolist()) and best[0] in rows.tolist()
    hits = team_engine.retrieval.dense.search(query, 5, allowed)
    assert len(hits) == 5 and {h.row for h in hits} <= set(allowed.rows.tolist())


@pytest.mark.parametrize("mode", list(Mode))
def test_a_filter_that_matches_nothing_finds_nothing_and_the_answer_abstains(team_engine: Engine, mode: Mode) -> None:
    query = team_engine.query("harbour office budget", mode)
    for where in (Filter.of(["*/finance/*"]), Filter.of(None, ["d-0000000000000000"]), Filter.of([])):
        outcome = team_engine.search(query, k=5, where=where)
        assert outcome.results == [] and not outcome.answerable
        answer = team_engine.ask(query, k=5, where=where)
        assert answer.abstained and answer.citations == []


def test_the_open_filter_is_no_filter(team_engine: Engine) -> None:
    query = team_engine.query("quarry office budget")
    plain = [r.passage.passage_id for r in team_engine.search(query, k=5).results]
    assert [r.passage.passage_id for r in team_engine.search(query, k=5, where=Filter()).results] == plain
