"""reStructuredText rendered as plain text: directives, roles, labels and fields read as Sphinx shows them."""

from __future__ import annotations

import re

from corpus.textblocks import _ADORNMENT, Line, _assemble, _block_end, _code, _fence, _indent

# -- reStructuredText: blocks ------------------------------------------------------------------------

_EXPLICIT = re.compile(r"\.\.(?:\s+(.*))?")
_DIRECTIVE = re.compile(r"([\w][\w:.+-]*)::(?:\s+(.*))?")
_OPTION = re.compile(r"\s*:[\w][\w-]*:(?:\s|$)")
_FIELD = re.compile(r":([^:`\s][^:`]*):(?:\s+(.*))?")
_DOCTEST = re.compile(r">>>(?:\s|$)")
_GRID_RULE = re.compile(r"\s*\+(?:[-=]+\+)+\s*")
_SIMPLE_RULE = re.compile(r"\s*=+(?: +=+)+\s*")

# What a directive's content is. Code and tables are kept whole; what adds nothing to read goes.
_CODE_DIRECTIVES = frozenset({
    "code-block", "sourcecode", "code", "doctest", "testcode", "testoutput", "productionlist",
    "parsed-literal", "math", "graphviz", "csv-table", "list-table", "table",
})
_DROPPED_DIRECTIVES = frozenset({
    "index", "toctree", "contents", "include", "literalinclude", "highlight", "currentmodule", "module",
    "sectionauthor", "moduleauthor", "codeauthor", "testsetup", "testcleanup", "tabularcolumns", "meta", "raw",
    "image", "audit-event", "default-role", "role", "program", "autosummary", "automodule", "autoclass",
    "autofunction", "automethod", "autodata", "autoexception", "spelling", "title", "target-notes",
})
# Their argument names what the content describes (an option, a variable, a function): it is the content's heading.
_DESCRIPTION_DIRECTIVES = frozenset({
    "function", "class", "method", "attribute", "data", "exception", "decorator", "decoratormethod",
    "classmethod", "staticmethod", "describe", "object", "cmdoption", "option", "envvar", "opcode",
    "pdbcommand", "rubric", "glossary-term", "confval", "setting",
})
# Directives that take no argument: text on their line or the lines under it is content.
_ADMONITIONS = frozenset({
    "note", "warning", "tip", "important", "caution", "attention", "danger", "error", "hint", "seealso",
    "impl-detail", "versionadded-note", "centered",
})
# Fields that set how Sphinx builds a page, not what it says.
_PAGE_SETTINGS = frozenset({"tocdepth", "orphan", "nocomments", "nosearch", "hide-toc", "og:description"})
_VERSION_DIRECTIVES = {
    "versionadded": "New in version {}", "versionchanged": "Changed in version {}",
    "deprecated": "Deprecated since version {}", "deprecated-removed": "Deprecated since version {}",
}


def rst_to_plain(text: str) -> str:
    """reStructuredText rendered as plain text (see the module docstring)."""
    lines = [_expand_indent(line) for line in text.split("\n")]
    titles = _section_labels(lines)
    return _assemble(_RstBlocks(lines, docinfo=True).render(), lambda chunk: _rst_inline(chunk, titles))


def _section_labels(lines: list[str]) -> dict[str, str]:
    """The titles of the sections a label stands above: a `:ref:` to the label reads as the title."""
    titles: dict[str, str] = {}
    for i, line in enumerate(lines):
        label = re.fullmatch(r"\s*\.\. _([^:`]+):\s*", line)
        if label is None:
            continue
        following = [b for b in lines[i + 1 : i + 8] if b.strip() and not re.match(r"\s*\.\. _", b)]
        rule = next((k for k, b in enumerate(following[:3]) if k and _ADORNMENT.fullmatch(b)), None)
        if rule is not None and not _ADORNMENT.fullmatch(following[rule - 1]):
            titles[label.group(1).strip().lower()] = following[rule - 1].strip()
    return titles


def _expand_indent(line: str) -> str:
    stripped = line.lstrip()
    return line[: len(line) - len(stripped)].expandtabs(8) + stripped if "\t" in line[: len(line) - len(stripped)] else line




def _paragraph_end(lines: list[str], i: int) -> int:
    j = i
    while j < len(lines) and lines[j].strip():
        j += 1
    return j


class _RstBlocks:
    """One pass over reST lines at one nesting level; directive content is rendered by a nested pass."""

    def __init__(self, lines: list[str], docinfo: bool = False) -> None:
        self.lines = lines
        # A field list before any body text is the document's bibliographic fields (:Author:, :tocdepth:).
        self.in_docinfo = docinfo
        self.out: list[Line] = []

    def render(self) -> list[Line]:
        lines, i = self.lines, 0
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if not stripped:
                self.out.append(("", False))
                i += 1
            elif explicit := _EXPLICIT.fullmatch(stripped):
                end = _block_end(lines, i + 1, _indent(line))
                self._explicit(explicit.group(1) or "", _indent(line), lines[i + 1 : end])
                i = end
            elif stripped.startswith("__ "):  # an anonymous hyperlink target
                i = _block_end(lines, i + 1, _indent(line))
            elif _DOCTEST.match(stripped):
                end = _paragraph_end(lines, i)
                self.out += _code(self.out, lines[i:end])
                i = end
            elif _GRID_RULE.fullmatch(line) or _SIMPLE_RULE.fullmatch(line):
                end = self._table_end(i)
                self.out += _fence(lines[i:end])
                i = end
            elif _FIELD.fullmatch(stripped):
                i = self._fields(i)
            else:
                i = self._paragraph(i)
        return self.out

    def _paragraph(self, i: int) -> int:
        lines = self.lines
        end = _paragraph_end(lines, i)
        body = lines[i:end]
        if not all(_ADORNMENT.fullmatch(b) or not b.strip() for b in body):
            self.in_docinfo = self.in_docinfo and _is_title(body)
        last = body[-1].rstrip()
        literal = last.endswith("::")
        if literal:  # "text::" reads "text:", "text ::" reads "text", a lone "::" nothing
            body[-1] = "" if last.strip() == "::" else last[:-1] if last[-3] not in " \t" else last[:-2].rstrip()
        # An auto-numbered item ("#. Step") is a list item: a bullet, which structure reads as one.
        body = [re.sub(r"^(\s*)#\.(?=\s)", r"\1-", b) for b in body]
        self.out += [(b, bool(_ADORNMENT.fullmatch(b))) for b in body if b.strip()]
        if not literal:
            return end
        start = end
        while start < len(lines) and not lines[start].strip():
            start += 1
        if start < len(lines) and _indent(lines[start]) > _indent(lines[i]):
            # It ends where a line is less indented than its first: in a list item, that is the item's
            # next paragraph, indented too but less.
            stop = _block_end(lines, start, _indent(lines[start]) - 1)
            self.out.append(("", False))
            self.out += _code(self.out, lines[start:stop])
            return stop
        return end

    def _fields(self, i: int) -> int:
        """A field list, read as "Name: text" (an author is worth citing); Sphinx's page settings go."""
        end = _paragraph_end(self.lines, i)
        for line in self.lines[i:end]:
            field = _FIELD.fullmatch(line.strip())
            if field is None:
                self.out.append((line, False))
            elif field.group(1).strip().lower() not in _PAGE_SETTINGS:
                name = field.group(1).strip()
                said = f"{name}: {field.group(2) or ''}".rstrip()
                if self.in_docinfo:  # "Author: Gordon McMillan." reads as a sentence, not as a heading
                    said = said[:1].upper() + said[1:] + ("" if said[-1:] in ".!?" else ".")
                self.out += [(" " * _indent(line) + said, False), ("", False)]
        return end

    def _table_end(self, i: int) -> int:
        lines = self.lines
        if _GRID_RULE.fullmatch(lines[i]):
            j = i
            while j < len(lines) and lines[j].strip()[:1] in ("+", "|"):
                j += 1
            return j
        # A simple table ends at a rule followed by a blank line (its first rule may be followed by one).
        j = i + 1
        while j < len(lines):
            if _SIMPLE_RULE.fullmatch(lines[j]) and (j + 1 == len(lines) or not lines[j + 1].strip()):
                return j + 1
            j += 1
        return _paragraph_end(lines, i)

    def _explicit(self, rest: str, indent: int, block: list[str]) -> None:
        """`.. something`: a directive, a footnote, or markup with nothing to read (a label, a comment)."""
        pad = " " * indent
        footnote = re.fullmatch(r"\[(?:#[\w-]*|\d+|\*|[A-Za-z][\w.-]*)\](?:\s+(.*))?", rest)
        if footnote:
            self._nested([pad + "   " + (footnote.group(1) or ""), *block], indent)
            return
        directive = _DIRECTIVE.fullmatch(rest)
        if directive is None or rest.startswith("|"):  # a comment, a label, a substitution definition
            return
        name = directive.group(1).lower()
        kind = name.rsplit(":", 1)[-1]
        head_end = next((k for k, b in enumerate(block) if not b.strip()), len(block))
        argument = " ".join(
            [directive.group(2) or "", *(b.strip() for b in block[:head_end] if not _OPTION.match(b))]
        ).strip()
        content = block[head_end:]
        if kind in _ADMONITIONS:  # no argument: what follows the name is already the content
            content = [" " * (indent + 3) + argument, *content] if argument else content
            argument = ""
        if kind in _CODE_DIRECTIVES:
            if any(c.strip() for c in content):
                self.out.append(("", False))
                self.out += _code(self.out, content)
            return
        if kind in _DROPPED_DIRECTIVES:
            return
        self.in_docinfo = False
        if kind in _VERSION_DIRECTIVES:
            version, _, remark = argument.partition(" ")
            if kind == "deprecated-removed" and remark:
                removed, _, remark = remark.partition(" ")
                version = f"{version}, will be removed in version {removed}"
            said = _VERSION_DIRECTIVES[kind].format(version)
            content = _dedented(content)
            first = next((k for k, c in enumerate(content) if c.strip()), None)
            if remark:
                self.out.append((f"{pad}{said}: {remark}", False))
            elif first is not None:  # "Changed in version 3.2: <the first line of what changed>"
                content[first] = f"{said}: {content[first].strip()}"
            else:
                self.out.append((f"{pad}{said}.", False))
            self._nested(content, indent)
            return
        if argument and (kind in _DESCRIPTION_DIRECTIVES or ":" in name):
            self.out += [("", False), (pad + argument, False), ("-" * max(3, len(argument)), True), ("", False)]
        self._nested(content, indent)

    def _nested(self, block: list[str], indent: int) -> None:
        pad = " " * indent
        for text, verbatim in _RstBlocks(_dedented(block)).render():
            ruled = verbatim and _ADORNMENT.fullmatch(text) is not None  # a rule read at any indentation
            self.out.append((pad + text if text and not ruled else text, verbatim))
        self.out.append(("", False))


def _dedented(block: list[str]) -> list[str]:
    depth = min((_indent(b) for b in block if b.strip()), default=0)
    return [b[depth:] for b in block]


def _is_title(body: list[str]) -> bool:
    """A paragraph that is a heading with its rules, which may stand above the document's fields."""
    words = [b for b in body if b.strip() and not _ADORNMENT.fullmatch(b)]
    return len(words) == 1 and len(body) >= 2


# -- reStructuredText: inline ------------------------------------------------------------------------

_RST_INLINE = re.compile(
    r"(?P<role>(?<![\w`]):(?P<name>[A-Za-z][\w.+-]*(?::[A-Za-z][\w.+-]*)*):`(?P<rtext>(?:[^`\\]|\\.)+?)`(?!`))"
    r"|(?P<lit>(?<!`)``(?P<ltext>\S(?:[\s\S]*?\S)??)``(?!`))"
    r"|(?P<ref>(?<![\w`])`(?P<reftext>[^`]+?)`__?(?!\w))"
    r"|(?P<interp>(?<![\w`])`(?P<itext>[^`\s](?:[^`]*?[^`\s])?)`(?![\w`]))"
    r"|(?P<note>[ \t]?\[(?:#[\w-]*|\d+|\*|[A-Za-z][\w.-]*)\]_(?!\w))"
    r"|(?P<strong>(?<![\w*\\])\*\*(?P<stext>[^\s*](?:[^*]*?[^\s*\\])?)\*\*(?![\w*]))"
    r"|(?P<em>(?<![\w*\\])\*(?P<etext>[^\s*](?:[^*]*?[^\s*\\])?)\*(?![\w*]))"
    r"|(?P<esc>\\(?P<echar>[\s\S]))"
)
_EXPLICIT_TITLE = re.compile(r"([\s\S]*?\S)\s*<([^<>]+)>")


def _rst_inline(text: str, titles: dict[str, str] | None = None) -> str:
    return _RST_INLINE.sub(lambda m: _rst_piece(m, titles or {}), text)


def _rst_piece(m: re.Match[str], titles: dict[str, str]) -> str:
    if m.group("role"):
        name, target = m.group("name").lower(), m.group("rtext")
        if name in ("ref", "std:ref") and target.strip().lower() in titles:
            return _rst_inline(titles[target.strip().lower()])
        return _role(name, target)
    if m.group("lit"):
        return m.group("ltext")
    if m.group("ref"):
        titled = _EXPLICIT_TITLE.fullmatch(m.group("reftext"))
        if titled:
            return titled.group(1)
        bare = re.fullmatch(r"\s*<([^<>]+)>\s*", m.group("reftext"))
        return bare.group(1) if bare else m.group("reftext")
    if m.group("interp"):
        return m.group("itext")
    if m.group("note"):
        return ""
    if m.group("strong"):
        return m.group("stext")
    if m.group("em"):
        return m.group("etext")
    char = m.group("echar")
    return "" if char in " \n\t" else char


def _role(name: str, text: str) -> str:
    """A role's text as Sphinx shows it: its explicit title, PEP/RFC numbers named, functions with "()"."""
    kind = name.rsplit(":", 1)[-1]
    text = re.sub(r"\\(.)", r"\1", text)
    titled = _EXPLICIT_TITLE.fullmatch(text)
    if titled and kind != "abbr":
        return titled.group(1)
    text = text.lstrip("!")
    if text.startswith("~"):
        text = text[1:].rsplit(".", 1)[-1]
    if kind in ("pep", "rfc"):
        return f"{kind.upper()} {text.split('#', 1)[0]}"
    if kind == "issue":
        return f"bpo-{text}"
    if kind == "gh":
        return f"gh-{text}"
    if kind in ("file", "samp"):
        return re.sub(r"(?<!\\)[{}]", "", text)
    if kind in ("guilabel", "menuselection"):
        return text.replace("&", "").replace("-->", "›")
    if kind in ("func", "meth") and not text.endswith(")"):
        return text + "()"
    return text
