"""HTML to the plain text the structure splitter reads: one line a paragraph, `#` headings, `- ` bullets,
code in ``` fences; navigation dropped by HTML semantics, asides and notes kept as the content they are."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

# Never content: their text is code, styling, controls or embedded documents.
_DROP_TAGS = frozenset({
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "button", "input", "select",
    "option", "optgroup", "textarea", "label", "iframe", "frame", "frameset", "object", "embed", "svg", "canvas",
    "math", "nav", "menu", "dialog", "audio", "video", "map", "img", "picture", "source", "track",
})
_NAV_ROLES = frozenset({
    "navigation", "banner", "contentinfo", "search", "menu", "menubar", "toolbar", "tablist", "dialog",
    "alertdialog", "tooltip",
})
# Elements that start a block of their own; anything else (span, a, code, em, acronym, custom tags) is inline.
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "hr", "html", "legend", "li",
    "main", "ol", "p", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    "h1", "h2", "h3", "h4", "h5", "h6", "pre", "listing", "xmp", "plaintext",
})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# A table whose cells hold any of these lays out a page: its cells are walked as blocks. Otherwise it holds
# data, and each row is one line (a cell's own paragraphs joined like cells).
_LAYOUT_BLOCKS = frozenset({"ul", "ol", "dl", "table", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"})
_CELL_SEPARATOR = " | "
# Class or id words that name page furniture in common generators (DocBook's navheader/navfooter/docnav,
# Sphinx's toctree, CMS breadcrumbs and pagers); matched as whole words of a class or id, parts split at - and _.
_FURNITURE_WORDS = frozenset({
    "nav", "navbar", "navheader", "navfooter", "docnav", "navigation", "breadcrumb", "breadcrumbs", "toc",
    "toctree", "pagination", "pager", "skiplink", "skip", "cookie", "cookies", "share", "sharing", "social",
    "menu", "sidenav", "topnav",
})
# A whole class or id that is the site's banner or footer (not "page-header": Bootstrap's title block).
_FURNITURE_NAMES = re.compile(r"(?:site|global|main)?[-_]?(?:header|footer|masthead|banner)", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Elements whose text is prose: a link that fills one is a reference the author wrote, not a menu.
_PROSE = frozenset({"p", "dd", "blockquote", "figcaption", "address"})
_ADDRESS = re.compile(r"\W*(?:[a-z][a-z+.-]*://|www\.|mailto:)\S+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{2,}")
_SPACES = re.compile(r"\s+")
_SYMBOLS_ONLY = re.compile(r"[^\w\s]{1,3}")


@dataclass(slots=True)
class _Line:
    """An output block: heading (level 1-6), paragraph, bullet, or pre (kept verbatim)."""

    kind: str
    text: str
    level: int = 0
    plain: str = ""  # the text outside links: a line with no word here is a menu, a pager or a bare address
    prose: bool = False  # written by a paragraph or a definition: links alone there are still content
    group: int = 0  # bullets of one list share a group: they are written without blank lines between
    restored: bool = False  # a heading written again where the section or aside under another one ended


@dataclass(slots=True)
class _Inline:
    parts: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)

    def text(self) -> str:
        return _SPACES.sub(" ", "".join(self.parts)).strip()


def _words(element: etree._Element) -> set[str]:
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return {part for token in names.split() for part in re.split(r"[-_]", token) if part} | set(names.split())


def _is_furniture(element: etree._Element) -> bool:
    """Navigation, banners, hidden and interface elements, told by tag, ARIA role, class or id."""
    tag = element.tag
    if tag in _DROP_TAGS:
        return True
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if _HIDDEN_STYLE.search(element.get("style") or ""):
        return True
    if (element.get("role") or "").lower() in _NAV_ROLES:
        return True
    if tag in ("header", "footer"):
        # Page-level banner and footer; an article's own header holds its heading and stays.
        return not any(a.tag in ("article", "main", "section", "aside") for a in element.iterancestors())
    if tag not in _BLOCK_TAGS or tag in _HEADINGS or tag in ("html", "body", "main", "article"):
        return False
    if _words(element) & _FURNITURE_WORDS:
        return True
    names = f"{element.get('class') or ''} {element.get('id') or ''}".split()
    return any(_FURNITURE_NAMES.fullmatch(n) for n in names)


def _text_length(element: etree._Element) -> int:
    return len(_SPACES.sub("", element.text_content()))


def _main_content(root: etree._Element) -> etree._Element:
    """`<main>` (or role=main), else the one `<article>`, when it holds a fair share of the page; else the body."""
    body = root.find("body")
    body = body if body is not None else root
    total = _text_length(body)
    for candidates in (root.xpath("//main | //*[@role='main']"), root.xpath("//article")):
        if len(candidates) == 1 and _text_length(candidates[0]) >= 0.3 * total > 0:
            return candidates[0]
    return body


class _Walker:
    """Walks the content tree once, writing blocks; a heading's scope ends with the element it heads."""

    def __init__(self) -> None:
        self.lines: list[_Line] = []
        self.inline = _Inline()
        self.bullet_pending = False
        self.groups = 0
        self.list_group = 0
        self.heading: _Line | None = None
        self.scopes: set[etree._Element] = set()
        self.joiner: str | None = None  # set while an element is read as one line: what stands for a block break
        self.container = "body"  # the tag of the innermost block open: whose text a flush writes

    def _add(self, text: str | None, in_link: bool) -> None:
        if text:
            self.inline.parts.append(text)
            if not in_link:
                self.inline.plain.append(text)

    def flush(self) -> None:
        text = self.inline.text()
        if text:
            bullet = self.bullet_pending
            self.lines.append(_Line(
                "bullet" if bullet else "paragraph", text, plain="".join(self.inline.plain),
                prose=self.container in _PROSE,
                group=self.list_group if bullet else 0,
            ))
            self.bullet_pending = False
        self.inline = _Inline()

    def walk(self, element: etree._Element, in_link: bool = False) -> None:
        tag = element.tag
        if not isinstance(tag, str) or _is_furniture(element) or (tag == "a" and _is_symbol_link(element)):
            self._add(element.tail, in_link)
            return
        if tag == "br":
            self._add(" ", in_link)
        elif tag not in _BLOCK_TAGS or self.joiner is not None:
            linked = in_link or tag == "a"
            if tag in _BLOCK_TAGS and self.inline.text():
                self._add(self.joiner, in_link)
            self._add(element.text, linked)
            for child in element:
                self.walk(child, linked)
        else:
            self._block(element, in_link)
        self._add(element.tail, in_link)

    def _block(self, element: etree._Element, in_link: bool) -> None:
        tag = element.tag
        self.flush()
        heading_before, container = self.heading, self.container
        self.container = tag
        if tag in _HEADINGS or tag == "dt" or _is_title(element):
            # A term heads its definition, as a box's title heads the box: both scoped (see `_scope`).
            self._heading(element, _HEADINGS.get(tag, 6 if tag == "dt" else 5))
        elif tag in ("pre", "listing", "xmp", "plaintext"):
            code = _verbatim(element).strip("\n")
            if code.strip():
                self.lines.append(_Line("pre", code))
        elif tag == "tr" and not any(isinstance(d.tag, str) and d.tag in _LAYOUT_BLOCKS for d in element.iterdescendants()):
            self._row(element)
        else:
            self._container(element, in_link)
        self.container = container
        if element in self.scopes and self.heading is not heading_before:
            # The section, aside or note is over: what follows belongs to the heading before it.
            self.heading = heading_before
            if heading_before is not None:
                self.lines.append(_Line("heading", heading_before.text, heading_before.level, restored=True))

    def _container(self, element: etree._Element, in_link: bool) -> None:
        tag = element.tag
        outer = self.list_group
        if tag in ("ul", "ol"):
            self.groups += 1
            self.list_group = self.groups
        if tag == "li":
            self.bullet_pending = True
        self._add(element.text, in_link)
        for child in element:
            self.walk(child, in_link)
        self.flush()
        self.bullet_pending = False
        self.list_group = outer

    def _inline_text(self, element: etree._Element, joiner: str = " ") -> _Inline:
        """The text of an element as one line, its block children joined by `joiner`."""
        saved, saved_joiner = self.inline, self.joiner
        self.inline, self.joiner = _Inline(), joiner
        self._add(element.text, False)
        for child in element:
            self.walk(child)
        inline, self.inline, self.joiner = self.inline, saved, saved_joiner
        return inline

    def _heading(self, element: etree._Element, level: int) -> None:
        text = self._inline_text(element).text()
        if text:
            self.heading = _Line("heading", text, level)
            self.lines.append(self.heading)
            self.scopes.add(_scope(element))

    def _row(self, row: etree._Element) -> None:
        cells = [
            self._inline_text(cell, _CELL_SEPARATOR) for cell in row
            if isinstance(cell.tag, str) and cell.tag in ("td", "th") and not _is_furniture(cell)
        ]
        texts = [c.text() for c in cells if c.text()]
        if not texts:
            return
        line = _CELL_SEPARATOR.join(texts)
        if all(cell.tag == "th" for cell in row if isinstance(cell.tag, str)):
            # A header row names the columns of the rows under it, up to the end of its table.
            self.heading = _Line("heading", line, 6)
            self.lines.append(self.heading)
            self.scopes.add(_scope(row))
        else:
            self.lines.append(_Line("paragraph", line, plain=" ".join("".join(c.plain) for c in cells)))


def _verbatim(element: etree._Element) -> str:
    """The text of a code block as written, without its furniture (a "copy" button)."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and not _is_furniture(child):
            parts.append("\n" if child.tag == "br" else _verbatim(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _is_symbol_link(element: etree._Element) -> bool:
    """A heading's own anchor ("¶", "#", "§"): a link of symbols alone says nothing."""
    return _SYMBOLS_ONLY.fullmatch(element.text_content().strip()) is not None


def _is_title(element: etree._Element) -> bool:
    """A block classed "title" (DocBook's sidebar, note and figure titles; Sphinx's admonition-title)."""
    classes = (element.get("class") or "").lower().split()
    return element.tag in ("p", "div", "span", "caption") and any(c in ("title", "admonition-title") for c in classes)


def _scope(heading: etree._Element) -> etree._Element:
    """The element a heading heads: the nearest ancestor holding more than the heading (a title page's
    wrappers, a headerlink beside it, do not count)."""
    inner = heading
    for ancestor in heading.iterancestors():
        if _holds_more(ancestor, inner):
            return ancestor
        inner = ancestor
    return inner


def _holds_more(parent: etree._Element, child: etree._Element) -> bool:
    """`parent` has text beyond `child`'s, more than an anchor's symbol. Reads lazily: a heading under a
    body of megabytes looks at the first words of its neighbours, not at the whole page."""
    extra = len((parent.text or "").strip())
    for other in parent:
        if other is not child and isinstance(other.tag, str):
            for piece in other.itertext():
                extra += len(piece.strip())
                if extra > 3:
                    return True
        extra += len((other.tail or "").strip())
        if extra > 3:
            return True
    return False


def _is_link_line(line: _Line) -> bool:
    """A line that is links and separators: a menu item, a pager, a bare address. No word stands outside its
    links, and it is no paragraph or definition whose words happen to be a link (unless an address)."""
    if line.kind not in ("paragraph", "bullet") or line.plain == line.text or _WORD.search(line.plain):
        return False
    return not line.prose or _ADDRESS.fullmatch(line.text) is not None


def _fence(code: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", code)), default=2)
    marks = "`" * max(3, longest + 1)
    return f"{marks}\n{code}\n{marks}"


def _render(lines: list[_Line]) -> str:
    """The blocks as text. Of headings with nothing between them only the last and its parents are
    written, and a heading written again after an aside is left out when it is the one in effect."""
    out: list[str] = []
    run: list[_Line] = []
    in_effect: tuple[str, int] | None = None
    previous: _Line | None = None
    for line in lines:
        if line.kind == "heading":
            run.append(line)
            continue
        if run:
            kept = [run[-1]]
            for h in reversed(run[:-1]):
                if not h.restored and h.level < kept[0].level:
                    kept.insert(0, h)
            if len(kept) == 1 and (kept[0].text, kept[0].level) == in_effect:
                kept = []
            out.extend("#" * h.level + " " + h.text for h in kept)
            in_effect, run = (run[-1].text, run[-1].level), []
            previous = None
        if line.kind == "bullet":
            same_list = previous is not None and previous.kind == "bullet" and previous.group == line.group
            text = "- " + line.text
            if same_list and out:
                out[-1] += "\n" + text
                previous = line
                continue
        elif line.kind == "pre":
            text = _fence(line.text)
        else:
            text = line.text
        out.append(text)
        previous = line
    return "\n\n".join(out)


def html_to_text(raw: str) -> str:
    """The main content of an HTML page as plain text for `corpus.structure.blocks`; "" when it holds none."""
    try:
        parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
        root = lxml_html.document_fromstring(raw.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return ""
    walker = _Walker()
    try:
        walker.walk(_main_content(root))
    except RecursionError:  # nesting deeper than any page a person wrote; the caller reads it another way
        return ""
    walker.flush()
    lines = [line for line in walker.lines if not _is_link_line(line)]
    return _render(lines)
