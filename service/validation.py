"""Checks of user text shared by the JSON API and the pages; each failure is one plain sentence."""

from __future__ import annotations

import re
import unicodedata

MAX_QUESTION_CHARS = 1000
MAX_K = 50
MAX_MESSAGES = 50
MAX_CONVERSATION_CHARS = 20_000
# A filter names documents by glob or id: a few dozen of a few hundred characters is all a request needs.
MAX_FILTER_ITEMS = 100
MAX_FILTER_ITEM_CHARS = 1000

PASSAGE_ID = re.compile(r"p-[0-9a-f]{16}")
DOC_ID = re.compile(r"d-[0-9a-f]{16}")
_ALLOWED_CONTROLS = "\t\n\r"


def control_character(text: str) -> str | None:
    """The first control character or lone surrogate in the text, as U+XXXX, or None."""
    for char in text:
        if char in _ALLOWED_CONTROLS:
            continue
        if unicodedata.category(char) in ("Cc", "Cs"):
            return f"U+{ord(char):04X}"
    return None


def check_text(text: str, what: str = "the text") -> str:
    found = control_character(text)
    if found:
        raise ValueError(f"{what} contains the control character {found}")
    return text


def check_filter_item(text: str) -> str:
    if len(text) > MAX_FILTER_ITEM_CHARS:
        raise ValueError(f"a filter glob or id is {len(text):,} characters long; at most {MAX_FILTER_ITEM_CHARS:,} are accepted")
    return check_text(text, "a filter glob or id")


def check_filter_items(items: list[str]) -> list[str]:
    if len(items) > MAX_FILTER_ITEMS:
        raise ValueError(f"a filter lists {len(items)} globs or ids; at most {MAX_FILTER_ITEMS} are accepted")
    return items


def check_question(text: str, what: str = "the question") -> str:
    """The question as given, if it is one the engine should search; otherwise ValueError with a sentence."""
    if not any(not c.isspace() and unicodedata.category(c) != "Cf" for c in text):
        # Spaces and invisible format characters (zero-width space, BOM) alone are no question.
        raise ValueError(f"{what} is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise ValueError(f"{what} is {len(text):,} characters long; at most {MAX_QUESTION_CHARS:,} are accepted")
    return check_text(text, what)


def sentence(text: str) -> str:
    """A message as a sentence: capital first letter, closing full stop."""
    text = text.strip()
    if not text:
        return "The request is not valid."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."
