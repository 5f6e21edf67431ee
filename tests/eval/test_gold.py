"""The gold file format: loading, validation errors that name the line, and relevance by evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.model import Passage, passage_id_for
from eval.gold import DEFAULT_GOLD, GoldError, Judge, QuestionType, Split, answer_holds, load_gold, parse_lines, select


def _line(**fields: object) -> str:
    return json.dumps(fields)


GOOD = {"id": "q1", "question": "Who runs it?", "type": "factoid", "evidence": ["run by the Board"], "split": "dev"}


def _passage(text: str) -> Passage:
    return Passage(passage_id_for(text), "d-1", text, 0, len(text), None, "t", "s")


def test_the_packaged_gold_set_loads_with_every_type_and_both_splits() -> None:
    questions = load_gold()
    assert len(questions) == 85
    assert {q.type for q in questions} == set(QuestionType)
    assert {q.split for q in questions} == {Split.DEV, Split.HELDOUT}
    assert len({q.id for q in questions}) == len(questions)
    followups = [q for q in questions if q.type is QuestionType.FOLLOWUP]
    assert followups and all(q.history for q in followups)
    lists = [q for q in questions if q.type is QuestionType.LIST]
    assert lists and all(q.all_of for q in lists)
    assert all(not q.evidence for q in questions if q.type is QuestionType.UNANSWERABLE)
    assert load_gold(DEFAULT_GOLD) == questions


def test_a_record_becomes_a_frozen_typed_question() -> None:
    [q] = parse_lines([_line(**GOOD)])
    assert (q.id, q.type, q.split, q.evidence, q.answerable) == ("q1", QuestionType.FACTOID, Split.DEV, ("run by the Board",), True)
    with pytest.raises(AttributeError):
        q.question = "changed"  # type: ignore[misc]


def test_list_groups_join_the_evidence_and_split_defaults_to_dev() -> None:
    [q] = parse_lines([_line(id="l", question="Which?", type="list", all_of=[["a one", "a two"], ["b"]])])
    assert q.all_of == (("a one", "a two"), ("b",))
    assert q.evidence == ("a one", "a two", "b")
    assert q.split is Split.DEV


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        (_line(question="Q?", type="factoid", evidence=["x"]), "the field 'id' is missing"),
        (_line(id="a", question="  ", type="factoid", evidence=["x"]), "'question' must be a non-empty string"),
        (_line(id="a", question="Q?", type="trivia", evidence=["x"]), "'type' is \"trivia\"; choose one of: factoid"),
        (_line(id="a", question="Q?", type="factoid", evidence=["x"], split="test"), "choose one of: dev | heldout"),
        (_line(id="a", question="Q?", type="factoid", evidnce=["x"]), "unknown field(s) 'evidnce'"),
        (_line(id="a", question="Q?", type="factoid"), "a factoid question needs 'evidence'"),
        (_line(id="a", question="Q?", type="factoid", evidence="x"), "'evidence' must be a list of strings"),
        (_line(id="a", question="Q?", type="factoid", evidence=["x", " "]), "'evidence' holds an empty string"),
        (_line(id="a", question="Q?", type="unanswerable", evidence=["x"]), "an unanswerable question has no evidence"),
        (_line(id="a", question="Q?", type="list", evidence=["x"]), "a list question needs 'all_of'"),
        (_line(id="a", question="Q?", type="list", all_of=[]), "'all_of' must be a non-empty list"),
        (_line(id="a", question="Q?", type="list", all_of=[["x"], []]), "'all_of' holds an empty group"),
        (_line(id="a", question="Q?", type="factoid", all_of=[["x"]]), "'all_of' is for list questions"),
        (_line(id="a", question="Q?", type="followup", evidence=["x"]), "a followup question needs 'history'"),
        (_line(id="a", question="Q?", type="factoid", evidence=["x"], history=["h"]), "'history' is for followup"),
        (_line(id="a", question="Q?", type="factoid", evidence=["x"], answer="26"), "'answer' must be a list of strings"),
        (_line(id="a", question="Q?", type="factoid", evidence=["x"], answer=[""]), "'answer' holds an empty string"),
        (_line(id="a", question="Q?", type="unanswerable", answer=["x"]), "no all_of and no answer"),
    ],
)
def test_each_problem_is_named_with_its_line(line: str, message: str) -> None:
    with pytest.raises(GoldError) as caught:
        parse_lines([_line(**GOOD), "", line], "gold.jsonl")
    text = str(caught.value)
    assert "gold.jsonl:3" in text
    assert message in text


def test_every_problem_is_reported_at_once_and_duplicate_ids_point_at_the_first() -> None:
    lines = [_line(**GOOD), _line(**GOOD), "{", _line(**{**GOOD, "id": "q2", "type": "nope"})]
    with pytest.raises(GoldError) as caught:
        parse_lines(lines, "g.jsonl")
    text = str(caught.value)
    assert "3 problem(s)" in text
    assert "g.jsonl:2: the id 'q1' is already used on line 1" in text
    assert "g.jsonl:3: not valid JSON" in text
    assert "g.jsonl:4 (q2): 'type'" in text


def test_an_empty_or_missing_file_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(GoldError, match="holds no questions"):
        load_gold(empty)
    with pytest.raises(GoldError, match="there is no gold file at"):
        load_gold(tmp_path / "absent.jsonl")


def test_select_keeps_one_split_or_all() -> None:
    questions = parse_lines([_line(**GOOD), _line(**{**GOOD, "id": "q2", "split": "heldout"})])
    assert [q.id for q in select(questions, "dev")] == ["q1"]
    assert [q.id for q in select(questions, "heldout")] == ["q2"]
    assert len(select(questions, "all")) == 2
    with pytest.raises(ValueError, match="choose one of"):
        select(questions, "test")


def test_relevance_by_evidence_ignores_case_spacing_and_width_and_accepts_passage_ids() -> None:
    board = _passage("The Harbour Programme is   RUN BY THE\nBoard and the Union.")
    other = _passage("Something else entirely.")
    judge = Judge([board, other])
    [by_text] = parse_lines([_line(**GOOD)])
    assert judge.is_relevant(by_text, board) and not judge.is_relevant(by_text, other)
    assert judge.relevant_ids(by_text) == {board.passage_id}
    [by_id] = parse_lines([_line(**{**GOOD, "evidence": [other.passage_id]})])
    assert judge.relevant_ids(by_id) == {other.passage_id}
    [fullwidth] = parse_lines([_line(**{**GOOD, "evidence": ["ＲＵＮ by the board"]})])  # NFKC folds full-width letters
    assert judge.relevant_ids(fullwidth) == {board.passage_id}


def test_evidence_found_nowhere_is_reported() -> None:
    judge = Judge([_passage("The Harbour Programme is run by the Board.")])
    [q] = parse_lines([_line(**{**GOOD, "evidence": ["run by the Board", "a sentence split by re-chunking"]})])
    assert judge.unmatched_evidence(q) == ["a sentence split by re-chunking"]


def test_list_groups_are_met_by_any_of_their_strings() -> None:
    [q] = parse_lines([_line(id="l", question="Which?", type="list", all_of=[["alpha", "beta"], ["gamma"], ["delta"]])])
    passages = [_passage("Here is beta."), _passage("And gamma too.")]
    assert Judge.groups_met(q, passages) == 2
    assert Judge.groups_met(q, []) == 0


def test_an_answer_holds_any_of_its_strings_compared_normalised() -> None:
    [q] = parse_lines([_line(**GOOD, answer=["26 UN entities", "twenty-six"])])
    assert q.answer == ("26 UN entities", "twenty-six")
    assert answer_holds(q, "It brings together  26 un ENTITIES across the spectrum. [1]") is True
    assert answer_holds(q, "It brings together many entities. [1]") is False
    [plain] = parse_lines([_line(**GOOD)])
    assert plain.answer == () and answer_holds(plain, "anything") is None
