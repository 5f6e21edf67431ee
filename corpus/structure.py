"""Structure-aware blocks: paragraphs and bullets, each with the heading or lead-in that situates it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from corpus.sentences import sentence_spans

_HEADING_MD = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^(\s*)(?:[-*•‣◦▪–]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+(?=\S)")
# A line of one punctuation character repeated: a setext or reStructuredText heading's underline or
# overline, or a rule between sections. It holds no words to cite.
_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1{2,}[ \t]*")
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})[^`]*")
_ENDS_SENTENCE = re.compile(r"[.!?:;…\"'”’)\]]$")


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph or bullet: `text[start:end]` of the cleaned document."""

    kind: str  # "paragraph" | "bullet" | "code"
    start: int
    end: int
    context: str | None
    # Where the block's own words end when a short piece of code it introduces is part of it ("Run:" and a
    # command); None when it holds no code.
    lead_end: int | None = None


@dataclass(slots=True)
class _Open:
    kind: str
    start: int
    end: int
    last_line: str


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _is_plain_heading(line: str, next_line: str | None, width: int | None) -> bool:
    """A short label-like line directly followed by body text: a heading in a plain-text document.

    Not the first line of a hard-wrapped paragraph: that one runs on into a lower-case word, or the
    next line's first word would not have fitted after it.
    """
    stripped = line.strip()
    # Cheap tests first: most lines are long or end a sentence.
    if not stripped or len(stripped) > 90 or _ENDS_SENTENCE.search(stripped) or next_line is None:
        return False
    following = next_line.split(maxsplit=1)
    if not following or len(stripped.split(maxsplit=12)) > 12:
        return False
    wrapped = _starts_lower(next_line) or (width is not None and len(line.rstrip()) + 1 + len(following[0]) > width)
    return (stripped[0].isupper() or stripped[0].isdigit()) and not BULLET.match(line) and not wrapped


def is_adornment(line: str) -> bool:
    return _ADORNMENT.fullmatch(line) is not None


def underlines(adornment: str, line: str) -> bool:
    """`adornment` underlines `line` as a heading: setext (`===` or `---`, any length) or
    reStructuredText (any punctuation character, at least as long as the heading)."""
    if not is_adornment(adornment) or not line.strip() or is_adornment(line) or BULLET.match(line):
        return False
    return adornment[0] in "=-" or len(adornment.rstrip()) >= len(line.rstrip())


def _starts_lower(line: str) -> bool:
    stripped = line.lstrip()
    return bool(stripped) and stripped[0].islower()


def blocks(text: str) -> list[Block]:
    """Split a cleaned document into paragraph and bullet blocks.

    A line ending in ":" followed by bullets is a lead-in: it is a paragraph of its own and the
    context of each bullet under it. A heading (Markdown `#`, a setext or reStructuredText underlined
    line, or a short label line) is the context of what follows it until the next heading.
    """
    spans = _lines(text)
    width = _wrap_width(text, spans)
    out: list[Block] = []
    heading: str | None = None
    lead_in: str | None = None
    current: _Open | None = None
    # The indentation of the lead-in paragraph just ended: a deeper block under it is its code.
    lead_indent: int | None = None
    after_blank = True

    def flush() -> None:
        nonlocal current, lead_in, lead_indent
        if current is None:
            return
        body = text[current.start : current.end]
        if current.kind == "bullet":
            out.append(Block("bullet", current.start, current.end, lead_in or heading))
        else:
            out.append(Block("paragraph", current.start, current.end, heading))
            lead_in = " ".join(body.split()) if body.endswith(":") else None
        # Code indented deeper than a paragraph's or a bullet's text ending in ":" is what it introduces.
        lead_indent = _column(text, current.start) if body.endswith(":") else None
        current = None

    skip_to = 0
    for i, (start, end) in enumerate(spans):
        if i < skip_to:
            continue
        line = text[start:end]
        if not line.strip():
            flush()
            after_blank = True
            continue
        code = _code_at(text, spans, i, current, lead_indent if current is None else None)
        if code is not None:
            if current is not None:
                flush()
            kind, first, last, skip_to = code
            if first is None or last is None:
                pass
            elif kind == "code" and _introduces(text, out, start) and _is_short_code(text[first:last]):
                # A command or a line of code is what its lead-in says: one passage with it, a fenced block
                # with both its fences (the passage is a slice of the document, so it holds the opening one).
                closing = spans[skip_to - 1] if first > end and skip_to - 1 < len(spans) else None
                whole = _rstrip(text, closing[0], closing[1]) if closing else last
                out[-1] = Block(out[-1].kind, out[-1].start, whole, out[-1].context, out[-1].end)
            else:
                out.append(Block(kind, first, last, lead_in or heading))
            lead_indent = None
            after_blank = True
            continue
        lead_indent = None  # only the block right under a lead-in is its code
        if is_adornment(line):
            flush()
            after_blank = True
            continue
        md = _HEADING_MD.match(line)
        bullet = BULLET.match(line)
        if md:
            flush()
            heading, lead_in = md.group(2).strip() or heading, None
        elif i + 1 < len(spans) and underlines(text[slice(*spans[i + 1])], line):
            flush()
            heading, lead_in = line.strip(), None
        elif bullet:
            flush()
            body_start = start + bullet.end()
            current = _Open("bullet", body_start, _rstrip(text, body_start, end), line)
        elif current is not None and _continues(current, line, width):
            current.end = _rstrip(text, start, end)
            current.last_line = line
        elif (after_blank or current is None or current.kind == "paragraph") and _is_plain_heading(
            line, _next_nonblank(text, spans, i), width
        ):
            flush()
            heading, lead_in = line.strip(), None
        else:
            if current is not None and current.kind == "bullet":
                flush()
                lead_in = None
            flush()
            first = start + (len(line) - len(line.lstrip()))
            current = _Open("paragraph", first, _rstrip(text, first, end), line)
        after_blank = False
    flush()
    return out


def _column(text: str, pos: int) -> int:
    return pos - (text.rfind("\n", 0, pos) + 1)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _code_at(
    text: str, spans: list[tuple[int, int]], i: int, current: _Open | None, lead_indent: int | None
) -> tuple[str, int | None, int | None, int] | None:
    """The code block that starts at line `i`, if one does: its kind, span and the line after it.

    Code is a fenced block (the fences are no part of it), a run of `>>>` lines and their output up to
    a blank line, or a block indented under a lead-in (a paragraph ending in ":"). An indented block
    that reads as prose (a quotation) is a paragraph instead. Each is one block, never a block a line.
    """
    line = text[slice(*spans[i])]
    fence = _opens_fence(text, spans, i)
    if fence:
        mark = fence.group(1)
        j = i + 1
        while j < len(spans) and not _closes(text[slice(*spans[j])], mark):
            j += 1
        return ("code", *_span(text, spans, i + 1, j), j + 1)
    stripped = line.lstrip()
    if stripped.startswith(">>>") and stripped[3:4] in ("", " "):
        j = i
        while j < len(spans) and text[slice(*spans[j])].strip():
            j += 1
        return ("code", *_span(text, spans, i, j), j)
    if current is not None and text[current.start : current.end].endswith(":"):
        lead_indent = _column(text, current.start)
    if lead_indent is None or _indent(line) <= lead_indent or BULLET.match(line):
        return None
    # The block ends at a line less indented than its first: a list item's next paragraph is indented
    # too, but less than the item's code.
    j, last = i, i
    while j < len(spans):
        following = text[slice(*spans[j])]
        if following.strip():
            if _indent(following) < _indent(line):
                break
            last = j + 1
        j += 1
    first, end = _span(text, spans, i, last)
    kind = "paragraph" if first is not None and end is not None and _reads_as_prose(text[first:end]) else "code"
    return (kind, first, end, last)


def _opens_fence(text: str, spans: list[tuple[int, int]], i: int) -> re.Match[str] | None:
    """A code fence: backticks, or tildes that are no reStructuredText heading's rule (a rule under a
    title line, or an overline repeated two lines below)."""
    line = text[slice(*spans[i])]
    fence = _FENCE.fullmatch(line)
    if fence is None or fence.group(1)[0] == "`":
        return fence
    after_blank = i == 0 or not text[slice(*spans[i - 1])].strip()
    overline = i + 2 < len(spans) and text[slice(*spans[i + 2])].rstrip() == line.rstrip()
    return fence if after_blank and not overline else None


# Code under a lead-in this small joins the lead-in's passage; longer code is a block of its own.
MAX_ATTACHED_CODE_LINES = 3
MAX_ATTACHED_CODE_CHARS = 200


def _introduces(text: str, found: list[Block], code_start: int) -> bool:
    """The last block is a lead-in (a paragraph or bullet ending in ":") with only blank lines between it and the
    line where the code starts (a fenced block's opening fence)."""
    if not found or found[-1].kind == "code":
        return False
    lead = found[-1]
    return text[lead.start : lead.end].endswith(":") and not text[lead.end : code_start].strip()


def _is_short_code(body: str) -> bool:
    return len(body) <= MAX_ATTACHED_CODE_CHARS and body.count("\n") < MAX_ATTACHED_CODE_LINES


def in_code(lines: Iterable[str]) -> Iterator[bool]:
    """For each line, whether it is a code fence or inside a fenced block: text to keep as written."""
    mark: str | None = None
    for line in lines:
        if mark is not None:
            yield True
            if _closes(line, mark):
                mark = None
            continue
        fence = _FENCE.fullmatch(line)
        if fence is not None:
            mark = fence.group(1)
        yield fence is not None


def _closes(line: str, mark: str) -> bool:
    stripped = line.strip()
    return len(stripped) >= len(mark) and stripped == mark[0] * len(stripped)


def _span(text: str, spans: list[tuple[int, int]], a: int, b: int) -> tuple[int | None, int | None]:
    """From the first non-blank character of lines `a` to `b` (exclusive) to the last one; None when blank."""
    if a >= b or not text[spans[a][0] : spans[b - 1][1]].strip():
        return None, None
    start, end = spans[a][0], spans[b - 1][1]
    while text[start].isspace():
        start += 1
    return start, _rstrip(text, start, end)


def _reads_as_prose(body: str) -> bool:
    """Sentences, not code: words and punctuation only, ending like a sentence."""
    plain = sum(c.isalpha() or c.isspace() or c in ".,;:'\"!?-’”“()" for c in body)
    return plain >= 0.95 * len(body) and body.rstrip()[-1:] in (".", "!", "?", '"', "”")


def _next_nonblank(text: str, spans: list[tuple[int, int]], i: int) -> str | None:
    return next((text[s:e] for s, e in spans[i + 1 :] if text[s:e].strip()), None)


def wrap_width(text: str) -> int | None:
    """The column a hard-wrapped text breaks at, or None when each line is a paragraph of its own."""
    return _wrap_width(text, _lines(text))


def _wrap_width(text: str, spans: list[tuple[int, int]]) -> int | None:
    """The column a hard-wrapped document breaks at, or None when each line is a paragraph of its own.

    Hard wrapping breaks lines mid-sentence, so some lines go on in lower case; a file of one-line
    paragraphs has none, however short its lines are.
    """
    lines = [text[s:e] for s, e in spans if text[s:e].strip()]
    if len(lines) < 3 or sum(map(_starts_lower, lines)) < max(1, len(lines) // 10):
        return None
    lengths = sorted(len(line) for line in lines)
    width = lengths[int(0.9 * (len(lengths) - 1))]
    return width if width <= 110 else None


def _continues(current: _Open, line: str, width: int | None) -> bool:
    """A continuation line: indented under a bullet, or the next line of a hard-wrapped paragraph."""
    if current.kind == "bullet" and line.startswith((" ", "\t")):
        return True
    if width is None:
        return False
    previous = current.last_line.rstrip()
    return len(previous) >= 0.6 * width or not _ENDS_SENTENCE.search(previous)


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


# A paragraph of fewer words is a fragment ("That's right.", "New in version 3.2."): it joins a neighbour.
MIN_PARAGRAPH_WORDS = 6


def merge_fragments(text: str, found: list[Block]) -> list[Block]:
    """Blocks with each fragment paragraph joined to a neighbouring paragraph under the same context.

    A fragment that ends a sentence completes the paragraph before it; one that does not (a label)
    introduces the paragraph after it. Only blank lines may lie between the two: a heading, a rule or
    code between them keeps them apart. Bullets, code and the lead-ins of bullets stay as they are.
    """
    out: list[Block] = []
    pending: Block | None = None  # a fragment waiting for the paragraph after it
    for k, block in enumerate(found):
        if pending is not None:
            if _joinable(text, pending, block):
                block = Block("paragraph", pending.start, block.end, block.context, block.lead_end)
            else:
                out.append(pending)
            pending = None
        introduces_code = k + 1 < len(found) and found[k + 1].kind == "code"
        if not _is_fragment(text, block, introduces_code):
            out.append(block)
            continue
        completes = _ENDS_SENTENCE.search(text[block.start : block.lead_end or block.end]) is not None
        if completes and out and _joinable(text, out[-1], block):
            out[-1] = Block("paragraph", out[-1].start, block.end, out[-1].context)
        else:
            pending = block
    if pending is not None:
        if out and _joinable(text, out[-1], pending):
            out[-1] = Block("paragraph", out[-1].start, pending.end, out[-1].context)
        else:
            out.append(pending)
    return out


def _is_fragment(text: str, block: Block, introduces_code: bool) -> bool:
    """A short paragraph; a short lead-in counts only before code ("An example:"), whether the code is a block
    of its own (no passage) or part of it (its words are the lead-in's alone)."""
    body = text[block.start : block.lead_end or block.end]
    return (
        block.kind == "paragraph"
        and (introduces_code or block.lead_end is not None or not body.endswith(":"))
        and len(body.split(maxsplit=MIN_PARAGRAPH_WORDS)) < MIN_PARAGRAPH_WORDS
    )


def _joinable(text: str, a: Block, b: Block) -> bool:
    return a.kind == b.kind == "paragraph" and a.context == b.context and not text[a.end : b.start].strip()


MAX_PASSAGE_CHARS = 3000


def _windows(text: str, start: int, end: int, max_words: int, max_chars: int) -> list[tuple[int, int]]:
    """A span cut into pieces of at most `max_words` words and `max_chars` characters, at spaces when
    there are any: a run-on "sentence" (a table flattened to one line, a 5 MB line) still becomes
    passages a reader can take in."""
    pieces: list[tuple[int, int]] = []
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and j - i < max_words and words[j][1] - words[i][0] <= max_chars:
            j += 1
        a, b = words[i][0], words[j - 1][1]
        while b - a > max_chars:  # one "word" longer than a passage: cut it plainly
            pieces.append((a, a + max_chars))
            a += max_chars
        pieces.append((a, b))
        i = j
    return pieces


def split_long(
    text: str, start: int, end: int, max_words: int = 200, max_chars: int = MAX_PASSAGE_CHARS
) -> list[tuple[int, int]]:
    """Spans of a block, split at sentence boundaries when over `max_words`, one sentence overlapping."""
    body = text[start:end]
    if len(body.split(maxsplit=max_words)) <= max_words and end - start <= max_chars:
        return [(start, end)]
    sentences = sentence_spans(body)
    counts = [len(body[s:e].split()) for s, e in sentences]
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j, words = i, 0
        while j < len(sentences):
            if j > i and words + counts[j] > max_words:
                break
            words += counts[j]
            j += 1
        chunks.append((start + sentences[i][0], start + sentences[j - 1][1]))
        if j >= len(sentences):
            break
        # One sentence of overlap, unless the chunk is a single sentence (no progress otherwise) or the
        # overlap sentence cannot share a chunk with the next one (it would stand alone, a pure repeat).
        i = j - 1 if j - 1 > i and counts[j - 1] + counts[j] <= max_words else j
    return [w for a, b in chunks for w in _windows(text, a, b, max_words, max_chars)]
