"""Lightweight markup rendered as plain text: what goes, what stays, and which documents count as markup."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.markup import Markup, markdown_to_plain, markup_of, plain_text, rst_to_plain
from corpus.pipeline import prepare

# -- which documents are markup ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("docs/howto/sockets.rst.txt", Markup.RST),
        ("notes.rst", Markup.RST),
        ("README.md", Markup.MARKDOWN),
        ("page.html", None),
        ("report.txt", None),
    ],
)
def test_the_name_says_which_markup_a_document_is_in(source: str, expected: Markup | None) -> None:
    assert markup_of(source, "Plain words *here*.") is expected


def test_a_text_file_is_markup_only_when_it_holds_several_marks() -> None:
    rst = "Use :func:`sum` and :func:`len`.\n\n.. note::\n\n   A note.\n"
    assert markup_of("notes.txt", rst) is Markup.RST
    markdown = "See [the guide](https://x.org) and **this**.\n\n```\ncode\n```\n"
    assert markup_of("notes.txt", markdown) is Markup.MARKDOWN
    prose = "The ratio was 3*4 in 2024 (see note 2)."
    assert markup_of("notes.txt", prose) is None
    assert plain_text("notes.txt", prose) == prose


# -- reStructuredText --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Call :func:`sum` on a list.", "Call sum() on a list."),
        ("The :class:`~collections.OrderedDict` keeps order.", "The OrderedDict keeps order."),
        ("Raise :exc:`!KeyError` here.", "Raise KeyError here."),
        ("See :pep:`8` and :issue:`40059`.", "See PEP 8 and bpo-40059."),
        ("See :ref:`the tutorial <tut-intro>`.", "See the tutorial."),
        ("Edit :file:`{prefix}/lib/python{version}` now.", "Edit prefix/lib/pythonversion now."),
        ("The ``connect`` call returns ``None``.", "The connect call returns None."),
        ("Try `Eric <https://eric-ide.org/>`_ or `PyCharm`_.", "Try Eric or PyCharm."),
        ("The *reverse* flag is **stable**.", "The reverse flag is stable."),
        ("Each ``clientsocket``\\ s and a\\*b.", "Each clientsockets and a*b."),
        ("A note [#]_ and a citation [1]_.", "A note and a citation."),
        ("Use *args and **kwargs freely.", "Use *args and **kwargs freely."),
    ],
)
def test_inline_markup_reads_as_its_text(source: str, expected: str) -> None:
    assert rst_to_plain(source) == expected


def test_inline_markup_may_wrap_across_lines() -> None:
    assert rst_to_plain("Use `Visual Studio\nCode <https://code.visualstudio.com/>`_ for it.") == (
        "Use Visual Studio Code for it."
    )


def test_wrapped_lines_are_joined_and_each_list_item_stays_a_line() -> None:
    # Shortened by its markup, "...is usually" would read as a heading above "0 to disable...".
    text = (
        "All options are passed as ``name=value``, where the value is usually\n``0`` to disable a feature.\n\n"
        "* first item\n  wraps here\n* second item\n#. numbered step"
    )
    assert rst_to_plain(text) == (
        "All options are passed as name=value, where the value is usually 0 to disable a feature.\n\n"
        "* first item wraps here\n* second item\n- numbered step"
    )


def test_a_ref_to_a_section_of_the_document_reads_as_its_title() -> None:
    text = "See :ref:`sorting-keys`.\n\n.. _sorting-keys:\n\nKey Functions\n=============\n\nText."
    assert rst_to_plain(text).startswith("See Key Functions.")


SOCKETS = """\
.. _socket-howto:

****************************
  Socket Programming HOWTO
****************************

:Author: Gordon McMillan
:tocdepth: 2

.. topic:: Abstract

   Sockets are used nearly everywhere.

.. index:: single: socket; INET

.. XXX is this still true?

Creating a Socket
=================

Your browser did something like the following::

   # create an INET, STREAMing socket
   s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)

.. note::
   The :mod:`multiprocessing` module integrates IPC.

.. versionchanged:: 3.3
   Sockets are closed on exit.

.. code-block:: python

   s.close()
"""


def test_markup_only_lines_go_and_prose_in_directives_stays() -> None:
    assert rst_to_plain(SOCKETS) == (
        "****************************\n  Socket Programming HOWTO\n****************************\n\n"
        "Author: Gordon McMillan.\n\n"
        "Sockets are used nearly everywhere.\n\n"
        "Creating a Socket\n=================\n\n"
        "Your browser did something like the following:\n\n"
        "    # create an INET, STREAMing socket\n"
        "    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n\n"
        "The multiprocessing module integrates IPC.\n\n"
        "Changed in version 3.3: Sockets are closed on exit.\n\n"
        "```\ns.close()\n```"
    )


def test_a_literal_marker_reads_as_the_text_renders() -> None:
    assert rst_to_plain("It is this ::\n\n   x = 1\n").startswith("It is this\n\n```")
    assert rst_to_plain("A paragraph.\n\n::\n\n   x = 1\n") == "A paragraph.\n\n```\nx = 1\n```"


def test_code_is_left_verbatim() -> None:
    text = "Call it like this::\n\n   f(*args, **kwargs)  # ``not`` markup\n"
    assert rst_to_plain(text).endswith("    f(*args, **kwargs)  # ``not`` markup")


def test_a_described_object_is_the_heading_of_its_description() -> None:
    text = ".. envvar:: PYTHONHOME\n\n   Change the location of the standard Python libraries.\n"
    assert rst_to_plain(text) == "PYTHONHOME\n----------\n\nChange the location of the standard Python libraries."


def test_a_field_list_in_the_body_reads_as_name_and_text() -> None:
    text = "Some intro text here.\n\n:value: What the new enum class will record as its name.\n"
    assert rst_to_plain(text).endswith("\n\nvalue: What the new enum class will record as its name.")


def test_tables_are_kept_whole() -> None:
    text = "Before.\n\n+-----+-----+\n| a   | b   |\n+-----+-----+\n\nAfter."
    assert rst_to_plain(text) == "Before.\n\n```\n+-----+-----+\n| a   | b   |\n+-----+-----+\n```\n\nAfter."


# -- Markdown -----------------------------------------------------------------------------------------


def test_markdown_inline_marks_and_link_definitions_go_and_code_stays() -> None:
    text = (
        "# Guide\n\nRead **the** [manual](https://x.org \"t\") and `cited build`; see ![logo](l.png) or "
        "<https://y.org>.\n\n[manual]: https://x.org\n\n```python\nf(*args, **kwargs)\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n> A quoted _line_.\n"
    )
    assert markdown_to_plain(text) == (
        "# Guide\n\nRead the manual and cited build; see logo or https://y.org.\n\n"
        "```python\nf(*args, **kwargs)\n```\n\n| a | b |\n| 1 | 2 |\n\nA quoted line."
    )


def test_snake_case_is_not_emphasis() -> None:
    assert markdown_to_plain("Set max_words and min_count.") == "Set max_words and min_count."


# -- through the pipeline -----------------------------------------------------------------------------


def test_a_restructuredtext_file_gives_whole_passages_without_markup(tmp_path: Path) -> None:
    (tmp_path / "sockets.rst.txt").write_text(SOCKETS, encoding="utf-8")
    prepared = prepare([tmp_path])
    (doc,) = prepared.documents
    assert doc.title == "Socket Programming HOWTO"
    for p in prepared.passages:
        assert doc.text[p.start : p.end] == p.text
        assert not any(mark in p.text for mark in ("``", ":func:", ".. ", ":mod:", "```"))
    contexts = {p.text.split("\n")[0]: p.context for p in prepared.passages}
    assert contexts["Your browser did something like the following:"] == "Creating a Socket"
    assert "s.close()" not in " ".join(p.text for p in prepared.passages)  # code is no passage


def test_a_rst_file_is_loaded_and_rendered(tmp_path: Path) -> None:
    (tmp_path / "guide.rst").write_text("Guide\n=====\n\nCall :func:`sum` on a list of numbers to add them.\n", encoding="utf-8")
    (passage,) = prepare([tmp_path]).passages
    assert passage.text == "Call sum() on a list of numbers to add them."
