"""Markdown rendered as plain text: inline marks and link definitions go, fenced and indented code is kept."""

from __future__ import annotations

import re

from corpus.textblocks import _ADORNMENT, Line, _assemble, _block_end, _fence, _indent

# -- Markdown ------------------------------------------------------------------------------------------

_FENCE = re.compile(r"\s{0,3}(`{3,}|~{3,})")
_LINK_DEFINITION = re.compile(r"\s{0,3}\[[^\]]+\]:\s+\S+.*")
_TABLE_RULE = re.compile(r"\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*")
_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d{1,9}[.)])\s")
_QUOTE = re.compile(r"\s{0,3}>(?!>)\s?")
_HTML_COMMENT = re.compile(r"<!--[\s\S]*?-->")


def markdown_to_plain(text: str) -> str:
    """Markdown rendered as plain text: fences and indented code kept whole, inline marks and link
    definitions off, headings left for `corpus.structure` to read."""
    lines = _HTML_COMMENT.sub("", text).split("\n")
    out: list[Line] = []
    i, in_list, after_blank = 0, False, True
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            close = re.compile(rf"\s{{0,3}}{re.escape(fence.group(1)[0])}{{{len(fence.group(1))},}}\s*")
            j = i + 1
            while j < len(lines) and not close.fullmatch(lines[j]):
                j += 1
            out += [(c, True) for c in lines[i : j + 1]]
            i, after_blank = j + 1, False
            continue
        if after_blank and not in_list and _indent(line) >= 4 and line.strip():
            end = _block_end(lines, i, 3)
            out += _fence(lines[i:end])
            i, after_blank = end, False
            continue
        if not line.strip():
            out.append(("", False))
            after_blank = True
        elif _LINK_DEFINITION.fullmatch(line) or _TABLE_RULE.fullmatch(line):
            pass
        else:
            if after_blank or _LIST_ITEM.match(line):
                in_list = bool(_LIST_ITEM.match(line)) or (in_list and _indent(line) > 0)
            quote = _QUOTE.match(line)
            line = line[quote.end() :] if quote else line
            out.append((line, bool(_ADORNMENT.fullmatch(line))))
            after_blank = False
        i += 1
    return _assemble(out, _markdown_inline)


_MARKDOWN_INLINE = re.compile(
    r"(?P<code>(?<!`)(?P<ticks>`+)(?!`)(?P<ctext>[\s\S]+?)(?<!`)(?P=ticks)(?!`))"
    r"|(?P<image>!\[(?P<alt>[^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\))"
    r"|(?P<link>\[(?P<ltext>[^\]]+)\](?:\([^)\s]*(?:\s+\"[^\"]*\")?\)|\[[^\]]*\]))"
    r"|(?P<auto><(?P<url>(?:https?|ftp|mailto):[^>\s]+)>)"
    r"|(?P<strong>(?<![\w*\\])\*\*(?P<stext>[^\s*](?:[\s\S]*?[^\s*\\])??)\*\*(?![\w*])"
    r"|(?<![\w\\])__(?P<utext>[^\s_](?:[\s\S]*?[^\s_\\])??)__(?!\w))"
    r"|(?P<em>(?<![\w*\\])\*(?P<etext>[^\s*](?:[^*]*?[^\s*\\])?)\*(?![\w*])"
    r"|(?<![\w\\])_(?P<uetext>[^\s_](?:[^_]*?[^\s_\\])?)_(?!\w))"
    r"|(?P<esc>\\(?P<echar>[!-/:-@\[-`{-~]))"
)


def _markdown_inline(text: str) -> str:
    return _MARKDOWN_INLINE.sub(_markdown_piece, text)


def _markdown_piece(m: re.Match[str]) -> str:
    if m.group("code"):
        return m.group("ctext").strip()
    if m.group("image"):
        return m.group("alt")
    if m.group("link"):
        return _markdown_inline(m.group("ltext"))
    if m.group("auto"):
        return m.group("url")
    if m.group("strong"):
        return _markdown_inline(m.group("stext") or m.group("utext"))
    if m.group("em"):
        return _markdown_inline(m.group("etext") or m.group("uetext"))
    return m.group("echar")
