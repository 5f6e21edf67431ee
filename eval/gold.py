"""The gold question set: a JSONL file loaded into frozen, validated records (format in eval/README.md).

Relevance is stated by evidence strings, not passage ids, so a gold set survives re-chunking.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.model import Passage, normalise

DEFAULT_GOLD = Path(__file__).resolve().parent / "gold" / "default.jsonl"
PASSAGE_ID = re.compile(r"^p-[0-9a-f]{16}$")
_FIELDS = frozenset({"id", "question", "type", "evidence", "answer", "all_of", "history", "split"})


class QuestionType(enum.StrEnum):
    FACTOID = "factoid"
    PARAPHRASE = "paraphrase"
    ACRONYM = "acronym"
    CONTEXT = "context"
    LIST = "list"
    UNANSWERABLE = "unanswerable"
    FOLLOWUP = "followup"


class Split(enum.StrEnum):
    DEV = "dev"
    HELDOUT = "heldout"


class GoldError(ValueError):
    """A gold file that cannot be used; the message names each bad line and what is wrong with it."""


@dataclass(frozen=True, slots=True)
class GoldQuestion:
    """One question. `evidence`: any passage containing one of these strings (or having this id) is relevant.

    `all_of`: for list questions, groups that must all be found; a group is met by any one of its strings.
    `answer`: short strings of which the answer text must hold one (`answer_holds`); empty when not stated.
    """

    id: str
    question: str
    type: QuestionType
    evidence: tuple[str, ...]
    split: Split = Split.DEV
    all_of: tuple[tuple[str, ...], ...] = ()
    history: tuple[str, ...] = ()
    answer: tuple[str, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.type is not QuestionType.UNANSWERABLE


def answer_holds(question: GoldQuestion, answer: str) -> bool | None:
    """Whether the answer text holds one of the question's answer strings (compared normalised); None when the
    question states none."""
    if not question.answer:
        return None
    text = normalise(answer)
    return any(normalise(s) in text for s in question.answer)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValueError(f"'{what}' must be a list of strings")
    if any(not s.strip() for s in value):
        raise ValueError(f"'{what}' holds an empty string")
    return tuple(value)


def _enum(kind: type[enum.StrEnum], value: Any, what: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        choices = " | ".join(m.value for m in kind)
        raise ValueError(f"'{what}' is {json.dumps(value)}; choose one of: {choices}") from None


def parse_question(record: Any) -> GoldQuestion:
    """One gold record from its JSON object; `ValueError` says what is wrong, in words."""
    if not isinstance(record, dict):
        raise ValueError("the line is not a JSON object")
    unknown = sorted(set(record) - _FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(map(repr, unknown))}; known fields: {', '.join(sorted(_FIELDS))}")
    for name in ("id", "question", "type"):
        if name not in record:
            raise ValueError(f"the field '{name}' is missing")
        if not isinstance(record[name], str) or not record[name].strip():
            raise ValueError(f"'{name}' must be a non-empty string")
    qtype = _enum(QuestionType, record["type"], "type")
    split = _enum(Split, record.get("split", "dev"), "split")
    evidence = _strings(record.get("evidence", []), "evidence")
    all_of: tuple[tuple[str, ...], ...] = ()
    if "all_of" in record:
        groups = record["all_of"]
        if not isinstance(groups, list) or not groups:
            raise ValueError("'all_of' must be a non-empty list of groups (lists of evidence strings)")
        all_of = tuple(_strings(g, f"all_of[{i}]") for i, g in enumerate(groups))
        if any(not g for g in all_of):
            raise ValueError("'all_of' holds an empty group")
    history = _strings(record.get("history", []), "history")
    answer = _strings(record.get("answer", []), "answer")

    if qtype is QuestionType.UNANSWERABLE:
        if evidence or all_of or answer:
            raise ValueError("an unanswerable question has no evidence, no all_of and no answer")
    elif not evidence and not all_of:
        raise ValueError(f"a {qtype} question needs 'evidence' (or 'all_of' for a list question)")
    if qtype is QuestionType.LIST and not all_of:
        raise ValueError("a list question needs 'all_of': the groups of evidence that together make the answer")
    if all_of and qtype is not QuestionType.LIST:
        raise ValueError(f"'all_of' is for list questions, not {qtype}")
    if qtype is QuestionType.FOLLOWUP and not history:
        raise ValueError("a followup question needs 'history': the earlier user turns, oldest first")
    if history and qtype is not QuestionType.FOLLOWUP:
        raise ValueError(f"'history' is for followup questions, not {qtype}")
    # Every all_of string is evidence too: a passage meeting a group is relevant.
    evidence = tuple(dict.fromkeys(evidence + tuple(s for g in all_of for s in g)))
    return GoldQuestion(
        id=record["id"].strip(), question=record["question"].strip(), type=qtype, evidence=evidence,
        split=split, all_of=all_of, history=history, answer=answer,
    )


def parse_lines(lines: Iterable[str], source: str = "<gold>") -> list[GoldQuestion]:
    """Questions from JSONL lines; every problem is collected and raised together as one `GoldError`."""
    questions: list[GoldQuestion] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            problems.append(f"{source}:{number}: not valid JSON ({exc})")
            continue
        try:
            question = parse_question(record)
        except ValueError as exc:
            ident = f" ({record['id']})" if isinstance(record, dict) and isinstance(record.get("id"), str) else ""
            problems.append(f"{source}:{number}{ident}: {exc}")
            continue
        if question.id in first_line:
            problems.append(f"{source}:{number}: the id '{question.id}' is already used on line {first_line[question.id]}")
            continue
        first_line[question.id] = number
        questions.append(question)
    if not questions and not problems:
        problems.append(f"{source}: holds no questions")
    if problems:
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise GoldError(f"the gold file has {len(problems)} problem(s):\n  " + "\n  ".join(problems[:20]) + more)
    return questions


def load_gold(path: Path | None = None) -> list[GoldQuestion]:
    """The questions of a gold JSONL file (default: the packaged eval/gold/default.jsonl)."""
    path = Path(path) if path is not None else DEFAULT_GOLD
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GoldError(f"there is no gold file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"the gold file {path} cannot be read ({exc})") from exc
    return parse_lines(text.splitlines(), str(path))


def select(questions: Sequence[GoldQuestion], split: str) -> list[GoldQuestion]:
    """The questions of one split, or all of them for 'all'."""
    if split == "all":
        return list(questions)
    wanted = _enum(Split, split, "split")
    return [q for q in questions if q.split is wanted]


# -- relevance ---------------------------------------------------------------------------------


def _holds(evidence: str, passage_id: str, normalised_text: str) -> bool:
    if PASSAGE_ID.match(evidence):
        return passage_id == evidence
    return normalise(evidence) in normalised_text


def matches(evidence: str, passage: Passage) -> bool:
    """A passage answers for an evidence string when it has that id or its text contains the string."""
    return _holds(evidence, passage.passage_id, normalise(passage.text))


class Judge:
    """Relevance of passages to gold questions, over every passage of one index."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        self._texts = {p.passage_id: normalise(p.text) for p in passages}

    def is_relevant(self, question: GoldQuestion, passage: Passage) -> bool:
        text = self._texts.get(passage.passage_id) or normalise(passage.text)
        return any(_holds(e, passage.passage_id, text) for e in question.evidence)

    def relevant_ids(self, question: GoldQuestion) -> set[str]:
        """Every passage of the index that holds some evidence of the question."""
        return {pid for pid, text in self._texts.items() if any(_holds(e, pid, text) for e in question.evidence)}

    def unmatched_evidence(self, question: GoldQuestion) -> list[str]:
        """Evidence found in no passage: the index was re-chunked, or the string is mistyped."""
        return [e for e in question.evidence if not any(_holds(e, pid, t) for pid, t in self._texts.items())]

    @staticmethod
    def groups_met(question: GoldQuestion, passages: Sequence[Passage]) -> int:
        """How many all_of groups the given passages satisfy together."""
        return sum(any(matches(e, p) for e in group for p in passages) for group in question.all_of)
