"""Blocks with their context, long-paragraph splitting and sentence boundaries."""

from __future__ import annotations

import itertools

import pytest

from corpus.sentences import sentence_spans
from corpus.structure import Block, blocks, merge_fragments, split_long


def _view(text: str) -> list[tuple[str, str, str | None]]:
    return [(b.kind, text[b.start : b.end], b.context) for b in blocks(text)]


def _sentence(words: int, tag: str) -> str:
    """A sentence of exactly `words` words whose first word names it."""
    return " ".join([tag.capitalize(), *(f"w{i}" for i in range(words - 1))]) + "."


def test_markdown_headings_are_the_context_of_the_paragraphs_under_them() -> None:
    text = (
        "# Annual report\n\nThe first paragraph is here.\n\n"
        "## Funding\n\nMoney came from donors.\n\nA second paragraph on funding.\n\n"
        "### Outlook ###\n\n- A bullet with no lead-in."
    )
    assert _view(text) == [
        ("paragraph", "The first paragraph is here.", "Annual report"),
        ("paragraph", "Money came from donors.", "Funding"),
        ("paragraph", "A second paragraph on funding.", "Funding"),
        ("bullet", "A bullet with no lead-in.", "Outlook"),
    ]


def test_a_hashtag_is_not_a_heading() -> None:
    assert _view("#EmpowerHer was launched in 2024 by UNODC.") == [
        ("paragraph", "#EmpowerHer was launched in 2024 by UNODC.", None)
    ]


def test_setext_and_restructuredtext_headings_are_contexts_and_their_lines_are_no_passages() -> None:
    text = (
        "Funding\n-------\n\nMoney came from donors.\n\n"
        "*********\nOutlook\n*********\n\nThe outlook is good.\n\n"
        "Risks\n~~~~~\nThe risks are small.\n\n"
        "-----\n\nA paragraph after a rule."
    )
    assert _view(text) == [
        ("paragraph", "Money came from donors.", "Funding"),
        ("paragraph", "The outlook is good.", "Outlook"),
        ("paragraph", "The risks are small.", "Risks"),
        ("paragraph", "A paragraph after a rule.", "Risks"),
    ]


def test_a_restructuredtext_underline_shorter_than_its_line_underlines_nothing() -> None:
    text = "A sentence that is long enough.\n~~~\n\nAnother one."
    assert [(kind, body) for kind, body, _ in _view(text)] == [
        ("paragraph", "A sentence that is long enough."), ("paragraph", "Another one."),
    ]


def test_plain_text_headings_are_the_context_of_what_follows() -> None:
    text = (
        "Background\nThe programme began in 2019 and grew quickly.\n\n"
        "Results and lessons\nIt reached many people in ten countries.\nIt also trained staff."
    )
    assert _view(text) == [
        ("paragraph", "The programme began in 2019 and grew quickly.", "Background"),
        ("paragraph", "It reached many people in ten countries.", "Results and lessons"),
        ("paragraph", "It also trained staff.", "Results and lessons"),
    ]


def test_a_short_sentence_is_not_taken_for_a_heading() -> None:
    text = "It worked.\nThe second line is a paragraph of its own, as every line in this file is."
    assert [context for _, _, context in _view(text)] == [None, None]


WRAPPED = """\
The programme began in 2019 with a small team and a modest budget, and over
the next five years it grew into one of the largest efforts of its kind in
the region, reaching more than two million people across eleven countries.

A second paragraph follows the first one after a blank line and it is also
wrapped at about eighty columns so that the splitter has to join its lines
back together into one block of text.
"""


def test_hard_wrapped_paragraphs_are_joined() -> None:
    view = _view(WRAPPED)
    assert [kind for kind, _, _ in view] == ["paragraph", "paragraph"]
    assert view[0][1].startswith("The programme began") and view[0][1].endswith("eleven countries.")
    assert view[1][1].endswith("one block of text.")


def test_in_hard_wrapped_text_a_short_line_ending_a_sentence_ends_the_paragraph() -> None:
    text = WRAPPED.replace("block of text.\n", "block of text.\nA third paragraph follows with no blank line.\n")
    assert [t[:20] for _, t, _ in _view(text)] == ["The programme began ", "A second paragraph f", "A third paragraph fo"]


def test_the_first_line_of_a_narrow_wrapped_paragraph_is_not_a_heading() -> None:
    text = (
        "The agency opened four offices\nin the region and hired local\nstaff to run them.\n\n"
        "Funding came from eleven donors\nwho pledged support for three\nyears of operations."
    )
    assert _view(text) == [
        ("paragraph", "The agency opened four offices\nin the region and hired local\nstaff to run them.", None),
        ("paragraph", "Funding came from eleven donors\nwho pledged support for three\nyears of operations.", None),
    ]


def test_one_short_line_paragraphs_are_not_taken_for_hard_wrapping() -> None:
    text = "Our partners:\n- UN Women.\n- UNICEF.\n- UNFPA.\nThe partners meet monthly.\nThey report yearly."
    assert _view(text) == [
        ("paragraph", "Our partners:", None),
        ("bullet", "UN Women.", "Our partners:"),
        ("bullet", "UNICEF.", "Our partners:"),
        ("bullet", "UNFPA.", "Our partners:"),
        ("paragraph", "The partners meet monthly.", None),
        ("paragraph", "They report yearly.", None),
    ]


def test_a_lead_in_is_a_paragraph_and_the_context_of_its_bullets() -> None:
    text = (
        "## Examples\n\n"
        "The following examples highlight collaboration across programmes:\n"
        "- In Samoa, coordination improved among agencies.\n"
        "- In Haiti, the programme adjusted its risk management.\n\n"
        "A closing paragraph about the examples."
    )
    lead = "The following examples highlight collaboration across programmes:"
    assert _view(text) == [
        ("paragraph", lead, "Examples"),
        ("bullet", "In Samoa, coordination improved among agencies.", lead),
        ("bullet", "In Haiti, the programme adjusted its risk management.", lead),
        ("paragraph", "A closing paragraph about the examples.", "Examples"),
    ]


def test_a_multi_line_lead_in_is_joined_into_one_context_line() -> None:
    text = "In 2024, the agency continued its work\n  on several fronts.   The following milestones were met:\n\n* First milestone."
    (lead, bullet) = blocks(text)
    assert bullet.context == "In 2024, the agency continued its work on several fronts. The following milestones were met:"
    assert lead.kind == "paragraph"


def test_the_lead_in_carries_across_blank_lines_but_not_past_the_next_paragraph() -> None:
    text = "Intro ending with a colon:\n\n- bullet after a blank line\n\n- another one\n\nNext paragraph.\n\n- not under the lead-in"
    assert [context for _, _, context in _view(text)] == [
        None, "Intro ending with a colon:", "Intro ending with a colon:", None, None,
    ]


def test_numbered_and_lettered_items_are_bullets() -> None:
    assert _view("Steps:\n1. Do this.\n2) Then that.\n(a) And a sub item.\n• And a dot item.") == [
        ("paragraph", "Steps:", None),
        ("bullet", "Do this.", "Steps:"),
        ("bullet", "Then that.", "Steps:"),
        ("bullet", "And a sub item.", "Steps:"),
        ("bullet", "And a dot item.", "Steps:"),
    ]


def test_an_indented_line_continues_its_bullet() -> None:
    text = "Items:\n- first item runs on\n  to a second line.\n- second item."
    assert _view(text)[1] == ("bullet", "first item runs on\n  to a second line.", "Items:")


def test_blocks_hold_no_surrounding_whitespace() -> None:
    text = "   Indented paragraph with trailing spaces.   \n\n\t- tabbed bullet\t\n"
    for b in blocks(text):
        body = text[b.start : b.end]
        assert body == body.strip() and body


# -- splitting long paragraphs ---------------------------------------------------------------------


def test_a_short_block_is_not_split() -> None:
    text = _sentence(150, "a")
    assert split_long(text, 0, len(text)) == [(0, len(text))]


def test_a_long_paragraph_is_split_at_sentences_with_one_sentence_of_overlap() -> None:
    sentences = [_sentence(n, f"s{k}") for k, n in enumerate([60, 70, 50, 80, 40, 90, 30, 55])]
    text = " ".join(sentences)
    chunks = [text[s:e] for s, e in split_long(text, 0, len(text), max_words=200)]
    assert len(chunks) > 1
    assert all(len(c.split()) <= 200 for c in chunks)
    parts = [[s for s in sentences if s in chunk] for chunk in chunks]
    for chunk, found in zip(chunks, parts, strict=True):
        assert chunk == " ".join(found)  # chunks start and end at sentence boundaries
    for before, after in itertools.pairwise(parts):
        assert before[-1] == after[0]  # exactly one sentence shared with the chunk before
        assert not set(before[:-1]) & set(after)
    assert parts[0][0] == sentences[0] and parts[-1][-1] == sentences[-1]


def test_offsets_of_split_chunks_are_absolute() -> None:
    prefix = "Heading\n\n"
    body = " ".join(_sentence(90, f"s{k}") for k in range(5))
    text = prefix + body
    spans = split_long(text, len(prefix), len(text))
    assert spans[0][0] == len(prefix) and spans[-1][1] == len(text)
    assert all(text[s:e] == text[s:e].strip() for s, e in spans)


def test_a_run_on_sentence_is_cut_at_spaces_into_passage_sized_pieces() -> None:
    long = _sentence(300, "b")
    text = " ".join([_sentence(50, "a"), long, _sentence(50, "c")])
    spans = split_long(text, 0, len(text))
    chunks = [text[s:e] for s, e in spans]
    assert all(len(c.split()) <= 200 for c in chunks)
    start = text.index(long)
    assert " ".join(c for (s, _), c in zip(spans, chunks, strict=True) if start <= s < start + len(long)) == long


def test_a_line_without_spaces_is_cut_by_characters() -> None:
    text = "x" * 7000
    spans = split_long(text, 0, len(text), max_chars=3000)
    assert spans == [(0, 3000), (3000, 6000), (6000, 7000)]


def test_no_chunk_is_only_the_overlap_of_the_chunk_before() -> None:
    # The middle sentence fits with the first but not with the last: repeating it alone would
    # make a passage that is wholly inside the one before it.
    text = " ".join([_sentence(50, "a"), _sentence(140, "b"), _sentence(150, "c")])
    chunks = [text[s:e] for s, e in split_long(text, 0, len(text))]
    assert chunks == [" ".join([_sentence(50, "a"), _sentence(140, "b")]), _sentence(150, "c")]


# -- sentences -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.N. Secretary-General spoke. Dr. Smith agreed, e.g., on reform. It ended.",
            ["The U.N. Secretary-General spoke.", "Dr. Smith agreed, e.g., on reform.", "It ended."],
        ),
        ("See e.g. Annex 2 for details. Prof. Jones, i.e. The Chair, left.", ["See e.g. Annex 2 for details.", "Prof. Jones, i.e. The Chair, left."]),
        ("J. K. Rowling wrote it. Mr. Brown read it.", ["J. K. Rowling wrote it.", "Mr. Brown read it."]),
        ("Is it done? Yes! “Quoted start.” (Parenthesised) Then more.", ["Is it done?", "Yes!", "“Quoted start.”", "(Parenthesised) Then more."]),
        ("Funding rose 45 per cent in 2024. 58 countries took part.", ["Funding rose 45 per cent in 2024.", "58 countries took part."]),
        ("The U.S. and the U.K. signed it in Jan. 2020 at 3 p.m. on site.", ["The U.S. and the U.K. signed it in Jan. 2020 at 3 p.m. on site."]),
        ("No sentence end here", ["No sentence end here"]),
        ("  padded.   Two.  ", ["padded.", "Two."]),
    ],
)
def test_sentence_spans(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in sentence_spans(text)] == expected


def test_sentence_spans_cover_every_word_in_order() -> None:
    text = "First one. Second one, with the U.N. in it. Third!\nFourth? Fifth."
    spans = sentence_spans(text)
    assert " ".join(text[s:e] for s, e in spans).split() == text.split()
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_block_is_a_plain_record() -> None:
    assert Block("paragraph", 0, 3, None) == Block("paragraph", 0, 3, None)


def test_the_lines_inside_a_code_fence_are_one_block_without_the_fences() -> None:
    text = (
        "## Diagnostics\n\nList the processes:\n\n"
        "```sh\n$ ps ax | grep postgres\n\n# not a heading\nLinear RAID\n```\n\nThe list ends here."
    )
    assert _view(text) == [
        ("paragraph", "List the processes:", "Diagnostics"),
        ("code", "$ ps ax | grep postgres\n\n# not a heading\nLinear RAID", "List the processes:"),
        ("paragraph", "The list ends here.", "Diagnostics"),
    ]


def test_a_longer_fence_holds_a_shorter_one_and_an_open_fence_runs_to_the_end() -> None:
    assert _view("````\n```\ninner\n```\n````\n\nAfter.") == [
        ("code", "```\ninner\n```", None),
        ("paragraph", "After.", None),
    ]
    assert _view("Before.\n\n```\nopen code\nto the end") == [
        ("paragraph", "Before.", None),
        ("code", "open code\nto the end", None),
    ]


# -- code blocks -----------------------------------------------------------------------------------


def test_a_fenced_block_is_one_code_block_without_its_fences() -> None:
    text = "Install it first.\n\n```bash\npip install cited\n\ncited build docs/\n```\n\nThen ask a question."
    assert _view(text) == [
        ("paragraph", "Install it first.", None),
        ("code", "pip install cited\n\ncited build docs/", None),
        ("paragraph", "Then ask a question.", None),
    ]


def test_an_interactive_session_is_one_code_block_up_to_the_blank_line() -> None:
    text = "Try it:\n\n>>> 2 + 2\n4\n>>> print('hi')\nhi\n\nThe interpreter prints each result."
    assert _view(text) == [
        ("paragraph", "Try it:", None),
        ("code", ">>> 2 + 2\n4\n>>> print('hi')\nhi", "Try it:"),
        ("paragraph", "The interpreter prints each result.", None),
    ]


CODE = "    while True:\n        conn = server.accept()\n        handle(conn)\n        log(conn)"


def test_a_block_indented_under_a_lead_in_is_one_code_block() -> None:
    text = f"We can now enter the main loop of the server:\n\n{CODE}\n\nThat loop runs forever."
    lead = "We can now enter the main loop of the server:"
    assert _view(text) == [
        ("paragraph", lead, None),
        ("code", CODE.strip(), lead),
        ("paragraph", "That loop runs forever.", None),
    ]


def test_a_short_command_under_its_lead_in_is_one_passage_with_it() -> None:
    text = "On Windows, run:\n\n    tutorial-env\\Scripts\\activate.bat\n\nOn Unix, source the script."
    assert _view(text) == [
        ("paragraph", "On Windows, run:\n\n    tutorial-env\\Scripts\\activate.bat", None),
        ("paragraph", "On Unix, source the script.", None),
    ]


def test_an_indented_quotation_under_a_lead_in_is_a_paragraph() -> None:
    text = "The Zen of Python says:\n\n    Beautiful is better than ugly.\n    Explicit is better than implicit.\n"
    assert _view(text)[1] == (
        "paragraph", "Beautiful is better than ugly.\n    Explicit is better than implicit.", "The Zen of Python says:"
    )


def test_code_under_a_list_item_ends_where_the_item_goes_on() -> None:
    text = (
        "2. If the call uses any of the following format units:\n\n"
        "       O&\n       O!\n       es\n       es#\n\n"
        "   or if it has several calls, choose a different function."
    )
    assert [(kind, body.split()[0]) for kind, body, _ in _view(text)] == [
        ("bullet", "If"), ("code", "O&"), ("paragraph", "or"),
    ]


def test_a_tilde_underline_is_a_heading_not_a_fence() -> None:
    text = "Risks\n~~~~~\n\nThe risks are small.\n\n~~~~~\nOutlook\n~~~~~\n\nThe outlook is good."
    assert _view(text) == [
        ("paragraph", "The risks are small.", "Risks"), ("paragraph", "The outlook is good.", "Outlook"),
    ]


# -- fragments -------------------------------------------------------------------------------------


def _merged(text: str) -> list[tuple[str, str, str | None]]:
    return [(b.kind, text[b.start : b.end], b.context) for b in merge_fragments(text, blocks(text))]


def test_a_fragment_ending_a_sentence_completes_the_paragraph_before_it() -> None:
    text = "## Sockets\n\nThe same socket will read the reply, and then be destroyed.\n\nThat's right, destroyed.\n\nClient sockets are normally used for one exchange."
    assert _merged(text) == [
        ("paragraph", "The same socket will read the reply, and then be destroyed.\n\nThat's right, destroyed.", "Sockets"),
        ("paragraph", "Client sockets are normally used for one exchange.", "Sockets"),
    ]


def test_a_fragment_that_opens_a_section_joins_the_paragraph_after_it() -> None:
    text = "## Can I delete Python?\n\nIt depends.\n\nIf Python came with the system, removing it breaks tools."
    assert _merged(text) == [
        ("paragraph", "It depends.\n\nIf Python came with the system, removing it breaks tools.", "Can I delete Python?"),
    ]


def test_fragments_do_not_cross_headings_bullets_or_code() -> None:
    text = "## A\n\nA full paragraph of enough words here.\n\n## B\n\nShort one.\n\n- a bullet item\n\nOk then.\n\n```\ncode\n```\n\nAnother full paragraph follows the code block."
    merged = _merged(text)
    assert [body for _, body, _ in merged] == [
        "A full paragraph of enough words here.", "Short one.", "a bullet item", "Ok then.", "code",
        "Another full paragraph follows the code block.",
    ]


def test_a_short_lead_in_to_code_completes_the_paragraph_before_it() -> None:
    text = "Lambdas defined in a loop all see the final value of the variable.\n\nAn example:\n\n```\nsquares = [lambda: x**2 for x in range(5)]\n```"
    assert _merged(text) == [("paragraph", text, None)]


def test_a_short_fenced_command_under_its_lead_in_is_one_passage_with_it_fences_and_all() -> None:
    # HTML <pre> becomes a fenced block: the command a manual gives after "restored with psql:" is the answer.
    text = (
        "The resulting dump can be restored with psql:\n\n```\npsql -X -f dumpfile postgres\n```\n\n"
        "(Actually, you can specify any existing database name to start from.)"
    )
    assert _view(text) == [
        ("paragraph", "The resulting dump can be restored with psql:\n\n```\npsql -X -f dumpfile postgres\n```", None),
        ("paragraph", "(Actually, you can specify any existing database name to start from.)", None),
    ]
    long = "Run these:\n\n```\n" + "\n".join(f"step {i}" for i in range(5)) + "\n```"
    assert [kind for kind, *_ in _view(long)] == ["paragraph", "code"]  # longer code is a block of its own


def test_short_lead_ins_and_their_commands_join_the_paragraph_they_continue() -> None:
    text = (
        "Use compressed dumps, for example with gzip:\n\n```\npg_dump dbname | gzip > filename.gz\n```\n\n"
        "Reload with:\n\n```\ngunzip -c filename.gz | psql dbname\n```\n\nUse split. It cuts the output into pieces."
    )
    merged = _merged(text)
    assert merged[0][1].endswith("gunzip -c filename.gz | psql dbname\n```") and merged[0][1].startswith("Use compressed")
    assert merged[1][1] == "Use split. It cuts the output into pieces."


def test_a_short_lead_in_to_bullets_stays_a_lead_in() -> None:
    text = "Our partners:\n- UN Women.\n- UNICEF."
    assert _merged(text) == _view(text)
