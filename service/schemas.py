"""The HTTP edge: pydantic models of what clients send (…Request) and what they get back (…Out)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from index.config import Mode
from index.filters import Filter
from service.validation import (
    MAX_CONVERSATION_CHARS,
    MAX_K,
    MAX_MESSAGES,
    check_filter_item,
    check_filter_items,
    check_question,
    check_text,
)

Question = Annotated[str, Field(strict=True, examples=["who co-chairs the Call to Action IOWG"]), AfterValidator(check_question)]
K = Annotated[int, Field(strict=True, ge=1, le=MAX_K, description="how many passages, 1..50")]
# Query-string forms: the text arrives as a string, so no strictness about JSON types there.
QueryText = Annotated[str, AfterValidator(check_question)]

# -- requests ------------------------------------------------------------------------------------

# A glob or an id of a filter: one line of text, short enough that no list of them strains a request.
# Limits are checked by validators, not stated in the schema: a fuzzer's over-long query string would meet the
# address limit (414) before the validation it means to test.
FilterItem = Annotated[str, Field(strict=True), AfterValidator(check_filter_item)]
FilterItems = Annotated[list[FilterItem], AfterValidator(check_filter_items)]


def where_of(given: FilterIn | None) -> Filter | None:
    """The engine's filter of a request body's `filter`, or None when the body has none."""
    return given.to_filter() if given is not None else None


class FilterIn(BaseModel):
    """Restricts results to documents whose source matches one of the globs (fnmatch: `*` crosses `/`) and whose id
    is one of `doc_id`; a field left out does not restrict, an empty list matches no document."""

    model_config = ConfigDict(extra="forbid")

    source: FilterItems | None = Field(default=None, examples=[["*hr/*"]])
    doc_id: FilterItems | None = None

    def to_filter(self) -> Filter:
        return Filter.of(self.source, self.doc_id)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question: Question
    k: K = 5
    mode: Mode = Mode.HYBRID
    filter: FilterIn | None = None

    def where(self) -> Filter | None:
        return where_of(self.filter)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["user", "assistant"]
    content: Annotated[str, Field(strict=True), AfterValidator(check_text)]


def _check_conversation(messages: list[ChatMessage]) -> list[ChatMessage]:
    if not messages:
        raise ValueError("the conversation is empty; send at least the user's question")
    if len(messages) > MAX_MESSAGES:
        raise ValueError(f"the conversation has {len(messages)} messages; at most {MAX_MESSAGES} are accepted")
    total = sum(len(m.content) for m in messages)
    if total > MAX_CONVERSATION_CHARS:
        raise ValueError(f"the conversation is {total:,} characters long; at most {MAX_CONVERSATION_CHARS:,} are accepted")
    if messages[-1].role != "user":
        raise ValueError("the last message must be the user's new question, not an assistant message")
    for i, message in enumerate(messages):
        if message.role == "user":
            check_question(message.content, f"the user message at position {i}")
    return messages


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    messages: Annotated[list[ChatMessage], AfterValidator(_check_conversation)]
    k: K = 5
    mode: Mode = Mode.HYBRID
    filter: FilterIn | None = None

    def where(self) -> Filter | None:
        return where_of(self.filter)

    def user_turns(self) -> list[str]:
        return [m.content for m in self.messages if m.role == "user"]


# -- responses -----------------------------------------------------------------------------------


class HighlightOut(BaseModel):
    start: int
    end: int
    text: str


class LocationOut(BaseModel):
    doc_id: str
    start: int
    end: int


class PassageOut(BaseModel):
    passage_id: str
    text: str
    context: str | None
    doc_id: str
    title: str
    source: str
    start: int
    end: int
    page: int | None = None
    also_at: list[LocationOut] = []


class SearchResultOut(PassageOut):
    rank: int
    score: float
    highlight: HighlightOut | None


class CitationOut(SearchResultOut):
    n: int


class SearchOut(BaseModel):
    query: str
    answerable: bool
    took_ms: float
    results: list[SearchResultOut]


class AskOut(BaseModel):
    question: str
    answer: str
    abstained: bool
    citations: list[CitationOut]


class ChatOut(BaseModel):
    question: str = Field(description="the user's new turn as sent")
    rewritten_query: str = Field(description="the standalone question actually searched")
    answer: str
    abstained: bool
    citations: list[CitationOut]


class PageSpanOut(BaseModel):
    page: int
    start: int
    end: int


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    source: str
    text: str
    pages: list[PageSpanOut] = []
    external_id: str | None = None


class HealthOut(BaseModel):
    status: Literal["ok"]
    passages: int
    documents: int
    model: str
    built_at: str
    shards: int = Field(default=1, description="how many shards answer (1: an ordinary index)")


class ErrorOut(BaseModel):
    detail: str = Field(description="what is wrong, in one sentence")


class ReloadOut(BaseModel):
    status: Literal["reloaded"]
    passages: int
    built_at: str


class CacheStatsOut(BaseModel):
    enabled: bool
    capacity: int = Field(description="query vectors kept at most (CITED_CACHE_SIZE)")
    size: int
    hits: int
    misses: int
    hit_rate: float = Field(description="hits / (hits + misses); 0 before any lookup")


class BatchingStatsOut(BaseModel):
    enabled: bool = Field(description="false when CITED_BATCH_WAIT_MS is 0: every request encodes on its own")
    wait_ms: float
    max_batch: int
    batches: int = Field(description="forward passes of the encoder since start-up")
    encoded: int = Field(description="query texts encoded in them (cache hits excluded)")
    mean_batch_size: float
    largest_batch: int


class IndexStatsOut(BaseModel):
    type: Literal["flat", "hnsw", "ivfpq"]
    passages: int
    ef_search: int | None = Field(description="HNSW search breadth; null for other index types")
    nprobe: int | None = Field(description="IVF lists probed; null for other index types")


class StatsOut(BaseModel):
    cache: CacheStatsOut
    batching: BatchingStatsOut
    index: IndexStatsOut


# -- the collection ------------------------------------------------------------------------------


class DocumentIn(BaseModel):
    """A document given as text. A `source` already indexed is replaced; without one, the text's hash names it."""

    model_config = ConfigDict(extra="ignore")

    text: Annotated[str, Field(strict=True, min_length=1, examples=["# Leave policy\n\nEvery employee receives 27 days of leave."])]
    title: Annotated[str | None, Field(strict=True, max_length=500)] = None
    source: Annotated[str | None, Field(strict=True, min_length=1, max_length=1000, examples=["hr/leave.md"])] = None


class DocumentInfoOut(BaseModel):
    doc_id: str
    title: str
    source: str
    passages: int
    added_at: str | None = Field(description="when the document was added (ISO 8601, UTC)")
    sha256: str | None = Field(description="SHA-256 of the file's bytes (of the text, for a document sent as text)")


class DocumentListOut(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentInfoOut]


class DocumentAddedOut(BaseModel):
    doc_id: str
    title: str
    source: str
    passages: int
    replaced: bool = Field(description="true when a document of the same source was replaced")
