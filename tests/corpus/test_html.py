"""HTML to text for the structure splitter: prose kept whole and clean, navigation dropped, asides kept."""

from __future__ import annotations

from pathlib import Path

from corpus.html import html_to_text
from corpus.pipeline import prepare


def _page(body: str, title: str = "Handbook") -> str:
    return f"<!doctype html><html><head><title>{title}</title><style>p {{ color: red }}</style></head><body>{body}</body></html>"


def _passages(tmp_path: Path, body: str) -> dict[str, str | None]:
    path = tmp_path / "page.html"
    path.write_text(_page(body), encoding="utf-8")
    return {p.text: p.context for p in prepare([path]).passages}


DOCBOOK = """
<ul class="docnav top"><li class="previous"><a href="a.html"><strong>Prev</strong></a></li>
<li class="home">The Handbook</li><li class="next"><a href="c.html"><strong>Next</strong></a></li></ul>
<div class="section"><div class="titlepage"><div><div><h2 class="title"><a id="s"></a>1.6.3. Migration to Testing</h2></div></div></div>
<a class="indexterm" id="i1"></a>
<div class="para">
    Packages move from <span class="distribution">Unstable</span> to
    <span class="distribution">Testing</span> after a delay; run
    <code class="command">britney</code> to see why one
    is <em>held back</em>.
</div>
<div class="sidebar"><div class="titlepage"><div><div><p class="title"><strong><span class="emphasis"><em>TOOL</em></span>
 The excuses page</strong></p></div></div></div>
<div class="para">The excuses page explains, for each package, why it has not migrated yet.</div></div>
<div class="para">Security updates follow a separate path through the security archive of the project.</div>
<pre class="screen"><code class="computeroutput">Linear RAID
workgroup = FALCOTNET</code></pre>
<div class="para">Once a package has migrated, it is part of the next stable release of the distribution.</div>
</div>
<ul class="docnav"><li class="previous"><a href="a.html"><strong>Prev</strong>1.6.2. Unstable</a></li>
<li class="up"><a href="#"><strong>Up</strong></a></li><li class="home"><a href="index.html"><strong>Home</strong></a></li></ul>
"""


def test_a_paragraph_with_line_breaks_and_inline_markup_is_one_clean_line(tmp_path: Path) -> None:
    passages = _passages(tmp_path, DOCBOOK)
    line = "Packages move from Unstable to Testing after a delay; run britney to see why one is held back."
    assert passages[line] == "1.6.3. Migration to Testing"
    assert not any(mark in text for text in passages for mark in ("`", "*", "\\_"))


def test_a_sidebar_is_kept_under_its_title_and_the_section_heading_comes_back_after_it(tmp_path: Path) -> None:
    passages = _passages(tmp_path, DOCBOOK)
    assert passages["The excuses page explains, for each package, why it has not migrated yet."] == "TOOL The excuses page"
    assert passages["Security updates follow a separate path through the security archive of the project."] == (
        "1.6.3. Migration to Testing"
    )


def test_navigation_bars_are_dropped(tmp_path: Path) -> None:
    text = html_to_text(_page(DOCBOOK))
    for furniture in ("Prev", "Next", "Up", "Home", "The Handbook", "1.6.2. Unstable", "color"):
        assert furniture not in text.split("\n") and furniture + " " not in text, furniture


def test_a_pre_block_is_one_code_block_not_fused_into_passages(tmp_path: Path) -> None:
    # Code is kept whole in the document text; it has no sentence to cite, so it is no passage of its own.
    passages = _passages(tmp_path, DOCBOOK)
    assert not any("Linear RAID" in text or "FALCOTNET" in text for text in passages)
    assert passages["Once a package has migrated, it is part of the next stable release of the distribution."] == (
        "1.6.3. Migration to Testing"
    )


def test_headings_become_markdown_heading_lines_and_html5_furniture_goes() -> None:
    body = """
    <header><a href="/">Site logo</a><p>Welcome to the example site of a documentation project</p></header>
    <nav><ul><li><a href="/docs">Docs</a></li></ul></nav>
    <main><article><h1>Write-Ahead Logging (<acronym>WAL</acronym>)</h1>
    <p><em class="firstterm">Write-Ahead Logging</em> (<acronym>WAL</acronym>)
       is a standard method for ensuring data integrity.</p>
    <aside class="note"><h3>Tip</h3><p>Journaled file systems do improve boot speed after a crash.</p></aside>
    <p>Using <acronym>WAL</acronym> reduces the number of disk writes.</p>
    <div role="navigation"><a href="/next">Next page: asynchronous commit</a></div>
    </article></main>
    <footer>Copyright the authors of the documentation project, all rights reserved.</footer>
    <script>var tracking = "should never be text";</script>
    """
    assert html_to_text(_page(body)) == (
        "# Write-Ahead Logging (WAL)\n\n"
        "Write-Ahead Logging (WAL) is a standard method for ensuring data integrity.\n\n"
        "### Tip\n\nJournaled file systems do improve boot speed after a crash.\n\n"
        "# Write-Ahead Logging (WAL)\n\nUsing WAL reduces the number of disk writes."
    )


def test_a_term_heads_its_definition_and_options_are_not_fused(tmp_path: Path) -> None:
    body = """<h2>Options</h2><dl>
    <dt><code>-n <em>schema</em></code><br/><code>--schema=<em>schema</em></code></dt>
    <dd><p>Dump only schemas matching <em>schema</em>; use <code>-n</code> with
    <code>-t</code> <em>table</em> to select both.</p></dd></dl>
    <p>Other options are read from the environment of the server process.</p>"""
    passages = _passages(tmp_path, body)
    assert passages["Dump only schemas matching schema; use -n with -t table to select both."] == "-n schema --schema=schema"
    assert passages["Other options are read from the environment of the server process."] == "Options"


def test_a_data_table_is_one_line_a_row_under_its_header_row_and_keeps_its_title() -> None:
    body = """<h2>Types</h2><div class="table"><p class="title"><strong>Table 8.1. Integer Types</strong></p>
    <table><thead><tr><th>Name</th><th>Description</th></tr></thead>
    <tbody><tr><td><code>bigint</code></td><td>signed eight-byte integer</td></tr>
    <tr><td><code>int4</code></td><td><p>signed four-byte</p><p>integer</p></td></tr></tbody></table></div>
    <p>The types smallint, integer and bigint store whole numbers.</p>"""
    assert html_to_text(_page(body)) == (
        "## Types\n\n##### Table 8.1. Integer Types\n\n###### Name | Description\n\n"
        "bigint | signed eight-byte integer\n\nint4 | signed four-byte | integer\n\n"
        "## Types\n\nThe types smallint, integer and bigint store whole numbers."
    )


def test_lists_are_bullets_and_a_list_of_links_is_a_menu() -> None:
    body = """<p>The following milestones were met in 2024:</p>
    <ul><li>A <a href="/x">substantial increase</a> in countries reporting.</li><li>More missions engaged.</li></ul>
    <ul><li><a href="/a">About</a></li><li><a href="/b">Contact</a> | <a href="/c">Jobs</a></li></ul>
    <p>See <a href="/s">Section 26.3</a> for details.</p><p><a href="https://example.org/">https://example.org/</a></p>"""
    assert html_to_text(_page(body)) == (
        "The following milestones were met in 2024:\n\n"
        "- A substantial increase in countries reporting.\n- More missions engaged.\n\n"
        "See Section 26.3 for details."
    )


def test_a_page_of_links_only_still_gives_its_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "links.html"
    path.write_text(_page('<ul><li><a href="/a">Orchard ledgers archive</a></li></ul>'), encoding="utf-8")
    (doc,) = prepare([path]).documents
    assert "Orchard ledgers archive" in doc.text


def test_broken_and_empty_markup_gives_no_text_rather_than_an_error() -> None:
    assert html_to_text("") == ""
    assert html_to_text("<html><body><div><p>Unclosed <b>bold and <i>italic text") == "Unclosed bold and italic text"
    assert html_to_text("<?xml version='1.0' encoding='UTF-8'?><html><body><p>Déjà vu.</p></body></html>") == "Déjà vu."


def test_a_definition_or_paragraph_that_is_one_link_is_content() -> None:
    body = """<dl><dt><acronym>ANSI</acronym></dt>
    <dd><p><a href="https://en.wikipedia.org/wiki/ANSI">American National Standards Institute</a></p></dd></dl>
    <p><a href="/report">The annual report of the orchard cooperative</a></p>
    <p><a href="https://example.org/">https://example.org/</a></p>"""
    assert html_to_text(_page(body)) == (
        "###### ANSI\n\nAmerican National Standards Institute\n\nThe annual report of the orchard cooperative"
    )


def test_deep_nesting_and_many_headings_are_read_without_error_in_time() -> None:
    deep = "<div>" * 240 + "<p>Deep text here.</p>" + "</div>" * 240
    assert html_to_text(_page(deep + "<p>After the nesting.</p>")) == "Deep text here.\n\nAfter the nesting."
    flat = "".join(f"<h2>Heading {i}</h2><p>Paragraph {i} of a long page.</p>" for i in range(3000))
    text = html_to_text(_page(flat))
    assert text.startswith("## Heading 0\n\nParagraph 0 of a long page.") and text.endswith("Paragraph 2999 of a long page.")
