"""The abstention model's evidence: what it reads off a query's results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.abstention import FEATURES, AbstentionModel
from index.build import build_index
from index.config import EngineConfig
from index.embed import HashingEmbedder
from index.engine import Engine

DOC = """# Batches

The Summer 2012 batch was the largest the programme had funded. The Winter 2013 batch had 47 companies.

Ferries to the island leave the north pier of the harbour every 20 minutes.
"""


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "batches.md").write_text(DOC, encoding="utf-8")
    build_index([tmp_path / "docs"], tmp_path / "index", HashingEmbedder(), progress=False)
    opened = Engine.open(tmp_path / "index")
    yield Engine(opened.index, opened.embedder, EngineConfig(), AbstentionModel.permissive())
    opened.close()


def features(engine: Engine, question: str) -> dict[str, float | None]:
    outcome = engine.search(engine.query(question), k=3)
    return dict(zip(FEATURES, outcome.evidence, strict=True))


def test_a_figure_stated_about_another_subject_does_not_meet_the_questions_specifics(engine: Engine) -> None:
    # The passage names the 2012 batch, but the sentence that gives a count is about the 2013 one.
    other = features(engine, "How many companies were in the Summer 2012 batch?")
    assert other["constraints"] == 1.0 and other["sentence_constraints"] == 0.0
    same = features(engine, "How many companies were in the Winter 2013 batch?")
    assert same["constraints"] == same["sentence_constraints"] == 1.0


def test_an_identifier_the_question_names_is_a_specific_it_needs() -> None:
    from index.answertype import Asked

    assert "wal_buffers" in Asked.of("What is the default setting of wal_buffers?").names
    assert "os.path.join" in Asked.of("What does os.path.join return?").names
    assert "nfsv4" in Asked.of("Which ports does an NFSv4 server use?").names
    assert not Asked.of("Is it fine to write e.g. a plain list?").names


def test_the_sentence_cosine_is_the_highlighted_sentences_own_in_a_passage_of_one_sentence_too(engine: Engine) -> None:
    # The question shares a word with the title ("Batches"), which the passage's vector reads and its one sentence's
    # does not: the feature is the sentence's cosine, below the passage's similarity.
    outcome = engine.search(engine.query("How often do batches of ferries leave?"), k=3)
    found = dict(zip(FEATURES, outcome.evidence, strict=True))
    best = outcome.results[0]
    assert best.passage.text.startswith("Ferries") and best.highlight is not None
    assert found["sentence_cosine"] == best.highlight.cosine < found["similarity"] == best.similarity
