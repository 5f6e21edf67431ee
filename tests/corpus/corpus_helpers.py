"""Helpers for the corpus tests: the bundled corpus and a folder of every supported format, built in tmp.

Imported by name (`from corpus_helpers import ...`): several conftest.py files share the module name
`conftest`, so importing from one of them depends on collection order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "data"
SEED = DEFAULT_CORPUS / "un-inter-agency-work-on-violence-against-women.txt"

PDF_PAGES = (
    (
        "Coordination in the field",
        [
            "The first page describes how the resident coordinator brought agencies together in Samoa and "
            "expanded the reach of the programme to vulnerable communities across the islands.",
        ],
    ),
    (
        "Funding and results",
        [
            "The second page reports that funding rose by forty-five per cent in 2024, reaching fifty-eight "
            "countries in several regions of the world.",
        ],
    ),
    (
        None,
        [
            "The third page closes the report with lessons learned about monitoring, evaluation and the "
            "value of shared data systems.",
        ],
    ),
)

HTML = """<!doctype html>
<html><head><title>IOM and gender-based violence</title></head>
<body>
<nav><a href="/">Home</a> <a href="/search">Search</a></nav>
<main>
<h1>IOM and gender-based violence</h1>
<p>IOM participates in the IASC Gender Reference Group, including providing contributions for the
development of the new IASC policy on gender equality.</p>
<h2>Milestones</h2>
<p>In 2024, IOM continued to pursue key milestones. The following milestones were met in 2024:</p>
<ul>
<li>A substantial increase of 45% in the number of countries implementing measures to mitigate violence.</li>
<li>More than eight country missions affected by crisis reported engagement in specialised activities.</li>
</ul>
</main>
<footer>Back to top</footer>
</body></html>
"""

MARKDOWN = """# Field notes

## Samoa

The programme in Samoa expanded its scope to reach persons living with disabilities.

## Mexico

The statistical framework for measuring gender-related killings was approved in 2022.
"""

TEXT = "Plain text notes\nUNODC developed a toolbox for universities to support institutional responses.\n"


@dataclass(frozen=True)
class MixedFolder:
    """A folder with one readable file of each format and several that cannot be read."""

    root: Path
    readable: tuple[str, ...]
    corrupt: tuple[str, ...]


def write_pdf(
    path: Path,
    pages: tuple[tuple[str | None, list[str]], ...] = PDF_PAGES,
    title: str = "Annual report",
    running_head: str | None = None,
) -> Path:
    """A real multi-page PDF, one page per entry: an optional heading and its paragraphs.

    With `running_head`, every page also carries it as a header and "Page N" as a footer.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    story: list[object] = []
    for number, (heading, paragraphs) in enumerate(pages):
        if number:
            story.append(PageBreak())
        if heading:
            story.append(Paragraph(heading, styles["Heading1"]))
        for paragraph in paragraphs:
            story += [Paragraph(paragraph, styles["Normal"]), Spacer(1, 12)]
    def furniture(canvas: Any, doc: Any) -> None:
        if running_head:
            canvas.drawString(72, 800, running_head)
            canvas.drawString(72, 40, f"Page {doc.page}")

    SimpleDocTemplate(str(path), pagesize=A4, title=title).build(story, onFirstPage=furniture, onLaterPages=furniture)
    return path


def make_mixed_folder(tmp_path: Path) -> MixedFolder:
    """Write the mixed folder under `tmp_path`."""
    root = tmp_path / "docs"
    (root / "nested").mkdir(parents=True)
    (root / "notes.txt").write_text(TEXT, encoding="utf-8")
    (root / "field.md").write_text(MARKDOWN, encoding="utf-8")
    (root / "page.html").write_text(HTML, encoding="utf-8")
    write_pdf(root / "nested" / "report.pdf")
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\nthis is not a PDF body\x00\x13\x37" * 20)
    (root / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 4)
    (root / "empty.md").write_bytes(b"")
    (root / "undecodable.txt").write_bytes("Caf\u00e9 au lait ".encode("utf-8")[:-3] + b"\x81\x8d\x8f\x90\x9d text")
    (root / ".hidden.txt").write_text("A hidden file is not a document.", encoding="utf-8")
    (root / "notes.txt.meta.json").write_text(json.dumps({"title": "Notes from the field"}), encoding="utf-8")
    return MixedFolder(
        root,
        readable=("notes.txt", "field.md", "page.html", "report.pdf"),
        corrupt=("broken.pdf", "binary.txt", "empty.md", "undecodable.txt"),
    )
