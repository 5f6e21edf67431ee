"""The one path from a question to cited passages, shared by the JSON API and the pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from index.engine import Answer, Engine, Mode, SearchOutcome, compose_answer
from service.rewriter import rewrite


@dataclass(frozen=True)
class ChatTurn:
    question: str
    rewritten_query: str
    answer: Answer


def search(engine: Engine, query: str, k: int = 5, mode: Mode = Mode.HYBRID) -> SearchOutcome:
    return engine.search(query.strip(), k, mode)


def ask(engine: Engine, question: str, k: int = 5, mode: Mode = Mode.HYBRID) -> Answer:
    """An extractive answer; built on `search` so that the answer and the result list always agree."""
    question = question.strip()
    return compose_answer(question, search(engine, question, k, mode), engine)


def chat(engine: Engine, user_turns: Sequence[str], k: int = 5, mode: Mode = Mode.HYBRID) -> ChatTurn:
    """Answer the last user turn, made standalone from the earlier ones (the server keeps no state)."""
    *history, turn = user_turns
    rewritten = rewrite([h.strip() for h in history], turn.strip())
    return ChatTurn(turn.strip(), rewritten, ask(engine, rewritten, k, mode))
