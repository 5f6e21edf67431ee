"""Tables as terminal text, Markdown and HTML, and the report folder (report.md, report.html, PNGs)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DASH = "—"


def fmt(value: float | None, digits: int = 3) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def fmt_ms(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}"


def clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class Table:
    """A titled table of strings; the first `left` columns align left, the rest right (figures)."""

    title: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    note: str = ""
    left: int = 1

    def text(self) -> str:
        widths = [max(len(h), *(len(r[i]) for r in self.rows)) if self.rows else len(h) for i, h in enumerate(self.headers)]

        def line(cells: Sequence[str]) -> str:
            parts = [c.ljust(w) if i < self.left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
            return "  ".join(parts).rstrip()

        out = [self.title, line(self.headers), line(["-" * w for w in widths])]
        out += [line(r) for r in self.rows] or ["(none)"]
        if self.note:
            out.append(self.note)
        return "\n".join(out)

    def markdown(self) -> str:
        def cell(text: str) -> str:
            return text.replace("|", "\\|")

        align = ["---" if i < self.left else "---:" for i in range(len(self.headers))]
        out = [f"### {self.title}", ""]
        if self.rows:
            out += ["| " + " | ".join(map(cell, self.headers)) + " |", "| " + " | ".join(align) + " |"]
            out += ["| " + " | ".join(map(cell, r)) + " |" for r in self.rows]
        else:
            out.append("(none)")
        if self.note:
            out += ["", self.note]
        return "\n".join(out)

    def html(self) -> str:
        def row(cells: Sequence[str], tag: str) -> str:
            return "<tr>" + "".join(
                f'<{tag} class="{"l" if i < self.left else "r"}">{html.escape(c)}</{tag}>' for i, c in enumerate(cells)
            ) + "</tr>"

        body = "\n".join(row(r, "td") for r in self.rows) or f'<tr><td colspan="{len(self.headers)}">(none)</td></tr>'
        note = f'<p class="note">{html.escape(self.note)}</p>' if self.note else ""
        return f"<h3>{html.escape(self.title)}</h3>\n<table>\n<thead>{row(self.headers, 'th')}</thead>\n<tbody>\n{body}\n</tbody>\n</table>\n{note}"


@dataclass(frozen=True)
class Figure:
    filename: str  # a PNG inside the report folder
    caption: str


@dataclass
class Report:
    title: str
    lines: list[str] = field(default_factory=list)  # facts of the run: gold file, index, k, …
    sections: list[tuple[str, list[Table | Figure]]] = field(default_factory=list)

    def text(self) -> str:
        out = [self.title, *self.lines]
        for heading, items in self.sections:
            tables = [item for item in items if isinstance(item, Table)]
            if tables:  # a section of figures only has nothing to print
                out += ["", f"== {heading} =="]
                out += [line for table in tables for line in ("", table.text())]
        return "\n".join(out)

    def markdown(self) -> str:
        out = [f"# {self.title}", "", *(f"- {line}" for line in self.lines)]
        for heading, items in self.sections:
            out += ["", f"## {heading}"]
            for item in items:
                out.append("")
                out.append(item.markdown() if isinstance(item, Table) else f"![{item.caption}]({item.filename})\n\n*{item.caption}*")
        return "\n".join(out) + "\n"

    def html(self) -> str:
        parts = [f"<h1>{html.escape(self.title)}</h1>", "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in self.lines) + "</ul>"]
        for heading, items in self.sections:
            parts.append(f"<h2>{html.escape(heading)}</h2>")
            for item in items:
                if isinstance(item, Table):
                    parts.append(item.html())
                else:
                    src = html.escape(item.filename, quote=True)
                    parts.append(f'<figure><img src="{src}" alt="{html.escape(item.caption)}"><figcaption>{html.escape(item.caption)}</figcaption></figure>')
        return _PAGE.format(title=html.escape(self.title), body="\n".join(parts))

    def write(self, directory: Path) -> list[Path]:
        """report.md and report.html beside the figures, which the caller has drawn into `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        md, page = directory / "report.md", directory / "report.html"
        md.write_text(self.markdown(), encoding="utf-8")
        page.write_text(self.html(), encoding="utf-8")
        return [md, page]


# Self-contained: no scripts, no fonts or styles from elsewhere; the PNGs sit beside the page.
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; vertical-align: top; }}
th {{ background: #f4f4f4; }}
td.r, th.r {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
td.l, th.l {{ text-align: left; }}
figure {{ margin: 1rem 0 2rem; }}
img {{ max-width: 100%; }}
figcaption, .note {{ color: #555; font-size: 0.85rem; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
