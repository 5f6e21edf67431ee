"""Tables as text, Markdown and HTML; the report folder; the figures."""

from __future__ import annotations

from pathlib import Path

from eval import plots
from eval.report import Figure, Report, Table, clip, fmt

TABLE = Table("Scores", ("group", "n", "mrr@10"), [("all", "12", "0.917"), ("a|b <x>", "3", "—")], note="n: answerable")


def test_text_tables_align_labels_left_and_figures_right() -> None:
    lines = TABLE.text().splitlines()
    assert lines[0] == "Scores"
    assert lines[1] == "group     n  mrr@10"
    assert lines[3] == "all      12   0.917"
    assert lines[4] == "a|b <x>   3       —"
    assert lines[-1] == "n: answerable"
    assert Table("Empty", ("a",), []).text().splitlines()[-1] == "(none)"


def test_markdown_escapes_pipes_and_html_escapes_markup() -> None:
    markdown = TABLE.markdown()
    assert "| group | n | mrr@10 |\n| --- | ---: | ---: |" in markdown
    assert "| a\\|b <x> | 3 | — |" in markdown
    page = TABLE.html()
    assert "a|b &lt;x&gt;" in page and "<x>" not in page
    assert '<td class="r">0.917</td>' in page


def test_formatting_helpers() -> None:
    assert fmt(None) == "—" and fmt(0.91666) == "0.917"
    assert clip("a  b\n c", 10) == "a b c"
    assert clip("abcdefghijkl", 5) == "abcd…"


def test_a_report_writes_markdown_and_html_with_relative_figures(tmp_path: Path) -> None:
    plots.recall_at_k({"dense": {1: 0.5, 3: 0.7}, "hybrid": {1: 0.6, 3: 0.9}}, tmp_path / "r.png", "Recall")
    plots.confidence({"hybrid": ([0.5, 0.7, 0.9], [0.1, 0.5])}, 0.45, tmp_path / "c.png")
    plots.latency({"hybrid": [3.0, 4.0, 50.0], "lexical": [0.5, 0.7]}, tmp_path / "l.png")
    report = Report("Eval", ["index: somewhere"], [("Summary", [TABLE, Figure("r.png", "Recall at k")])])
    md, page = report.write(tmp_path)
    assert '<img src="r.png" alt="Recall at k">' in page.read_text()
    assert "![Recall at k](r.png)" in md.read_text()
    for name in ("r.png", "c.png", "l.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert report.text().startswith("Eval\nindex: somewhere\n\n== Summary ==")
