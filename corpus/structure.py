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
_ENDS_SENTENCE = re.compile(r"[.!?:;…\"'”’)\]]$")
# A Markdown code fence: three or more backticks, an optional info word. The code between two fences is one
# block, whatever lines it holds: a command's output is not a run of one-line paragraphs or headings.
FENCE = re.compile(r"^\s{0,3}(`{3,})[^`]*$")


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph or bullet: `text[start:end]` of the cleaned document."""

    kind: str  # "paragraph" | "bullet"
    start: int
    end: int
    context: str | None


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
    line, or a short label line) is the context of what follows it until the next heading. The lines
    inside a Markdown code fence are one paragraph, without the fences.
    """
    spans = _lines(text)
    width = _wrap_width(text, spans)
    out: list[Block] = []
    heading: str | None = None
    lead_in: str | None = None
    current: _Open | None = None
    after_blank = True
    fence: str | None = None  # the opening fence while inside a code block
    code: tuple[int, int] | None = None

    def flush() -> None:
        nonlocal current, lead_in
        if current is None:
            return
        if current.kind == "bullet":
            out.append(Block("bullet", current.start, current.end, lead_in or heading))
        else:
            out.append(Block("paragraph", current.start, current.end, heading))
            body = text[current.start : current.end]
            lead_in = " ".join(body.split()) if body.endswith(":") else None
        current = None

    for i, (start, end) in enumerate(spans):
        line = text[start:end]
        opening = FENCE.match(line)
        if fence is not None:
            if closes(fence, line):
                if code is not None:
                    out.append(Block("paragraph", code[0], code[1], heading))
                fence, code, lead_in, after_blank = None, None, None, True
            elif line.strip():
                code = (code[0] if code else start + len(line) - len(line.lstrip()), _rstrip(text, start, end))
            continue
        if opening:
            flush()
            fence = opening.group(1)
            continue
        if not line.strip():
            flush()
            after_blank = True
            continue
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
    if code is not None:  # a fence left open runs to the end of the text
        out.append(Block("paragraph", code[0], code[1], heading))
    return out


def closes(fence: str, line: str) -> bool:
    """`line` closes the code block `fence` opened: backticks alone, at least as many."""
    stripped = line.strip()
    return not stripped.strip("`") and len(stripped) >= len(fence) and FENCE.match(line) is not None


def in_code(lines: Iterable[str]) -> Iterator[bool]:
    """For each line, whether it is a code fence or inside one: text to keep as written."""
    fence: str | None = None
    for line in lines:
        if fence is not None:
            yield True
            if closes(fence, line):
                fence = None
            continue
        opening = FENCE.match(line)
        if opening:
            fence = opening.group(1)
        yield opening is not None


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
