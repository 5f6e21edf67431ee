"""The follow-up rewriter: standalone questions stay as they are, dependent ones borrow earlier terms."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.rewrite import content_words, key_names, rewrite

FAO = "What did FAO do during the 16 Days of Activism?"


def test_pronoun_follow_up_carries_the_earlier_names() -> None:
    rewritten = rewrite([FAO], "Who organised it with them?")
    assert rewritten.startswith("Who organised it with them")
    assert "FAO" in rewritten and "16 Days of Activism" in rewritten


def test_self_contained_question_is_left_alone() -> None:
    question = "Who co-chairs the Call to Action IOWG?"
    assert rewrite([FAO], question) == question


def test_relative_that_is_not_a_reference() -> None:
    question = "Which agency leads the programme that funds shelters?"
    assert rewrite([FAO], question) == question


def test_there_refers_to_a_place_unless_existential() -> None:
    previous = "What did the Spotlight programme do in Haiti?"
    assert "Haiti" in rewrite([previous], "Which agency was the lead there?")
    assert rewrite([previous], "Are there any shelters for women in Samoa?") == "Are there any shelters for women in Samoa?"


def test_possessive_after_a_name_of_the_same_turn_refers_inside_it() -> None:
    question = "What is UNICEF's budget and its reach?"
    assert rewrite([FAO], question) == question


def test_no_history_means_no_change() -> None:
    assert rewrite([], "Who organised it with them?") == "Who organised it with them?"


def test_what_about_a_name_keeps_the_frame() -> None:
    assert rewrite([FAO], "What about UNICEF?") == "What did UNICEF do during the 16 Days of Activism?"
    assert rewrite([FAO], "And UN Women?") == "What did UN Women do during the 16 Days of Activism?"


def test_what_about_a_place_after_the_same_preposition() -> None:
    previous = "What did the Spotlight Initiative achieve in Malawi?"
    assert rewrite([previous], "What about in Haiti?") == "What did the Spotlight Initiative achieve in Haiti?"


def test_what_about_a_new_preposition_is_appended() -> None:
    assert rewrite([FAO], "What about in 2023?") == "What did FAO do during the 16 Days of Activism in 2023?"


def test_what_about_a_plain_noun_phrase_borrows_the_names() -> None:
    assert rewrite([FAO], "what about the budget?") == "The budget (FAO, 16 Days of Activism)?"


def test_question_without_content_words_borrows_the_topic() -> None:
    rewritten = rewrite([FAO], "When?")
    assert rewritten.startswith("When") and "FAO" in rewritten


def test_leading_and_is_dropped_and_terms_added() -> None:
    assert rewrite([FAO], "And who funded it?") == "Who funded it (FAO, 16 Days of Activism)?"


def test_follow_ups_chain_through_earlier_follow_ups() -> None:
    history = ["What did the Spotlight Initiative achieve in Malawi?", "Who funded it?"]
    rewritten = rewrite(history, "And when?")
    assert "Spotlight Initiative" in rewritten and "Malawi" in rewritten


def test_a_turn_naming_nothing_does_not_replace_the_topic() -> None:
    assert "FAO" in rewrite([FAO, "thanks"], "Who organised it?")


def test_key_names_finds_multiword_names_and_acronyms() -> None:
    text = (
        "As the co-chair of the Call-to-Action International Organization Working Group (IOWG) alongside UNHCR, "
        "IOM and the Food and Agriculture Organization worked with UN Women and FAO in Trinidad and Tobago."
    )
    assert key_names(text) == [
        "Call-to-Action International Organization Working Group",
        "IOWG",
        "UNHCR",
        "IOM",
        "Food and Agriculture Organization",
        "UN Women",
        "FAO",
        "Trinidad and Tobago",
    ]


def test_sentence_initial_capital_is_not_a_name() -> None:
    assert key_names("Describe the work of UN Women.") == ["UN Women"]
    assert content_words("Who did it?") == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=4), st.text(max_size=120))
def test_never_raises_and_never_empties(history: list[str], turn: str) -> None:
    rewritten = rewrite(history, turn)
    assert isinstance(rewritten, str)
    if turn:
        assert rewritten


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([FAO, "Who funded it?", "What about UNICEF?", "thanks", "  ", "And?"]), max_size=5),
    st.sampled_from(["Who organised it with them?", "What about in 2023?", "and?", "What of", "why", "?"]),
)
def test_conversational_turns_never_raise(history: list[str], turn: str) -> None:
    assert rewrite(history, turn).strip()


def test_one_standing_for_the_earlier_noun_borrows_it() -> None:
    assert rewrite(["What is a checkpoint?"], "Can I trigger one by hand?") == "Can I trigger one by hand (checkpoint)?"
    assert rewrite(["What is a deadlock?"], "How does the server get out of one?") == "How does the server get out of one (deadlock)?"
    assert rewrite(["What is a checkpoint?"], "Which one is faster?") == "Which one is faster (checkpoint)?"


def test_one_as_a_figure_or_in_no_one_is_no_reference() -> None:
    for question in ("How many workers run at one time?", "Is one of the files enough?", "Does no one run the backups?"):
        assert rewrite(["What is a checkpoint?"], question) == question


def test_a_noun_pointed_at_borrows_how_the_earlier_question_named_it() -> None:
    rewritten = rewrite(["How does FAO run the school feeding programme?"], "Who pays for that programme?")
    assert rewritten == "Who pays for that programme (FAO, school feeding)?"
