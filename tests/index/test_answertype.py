"""The kind of fact a question asks for, and whether a sentence supplies it."""

import pytest

from index.answertype import Asked, Wants, asks_for_list, wants


def supplies(question: str, sentence: str) -> bool:
    return Asked.of(question).supplied_by(sentence)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many entities does UN Action bring together?", Wants.NUMBER),
        ("How much funding did UNFPA give?", Wants.NUMBER),
        ("When did FAO host the session?", Wants.DATE),
        ("In what year was UN Action established?", Wants.DATE),
        ("How does IOM get money to groups quickly when a new emergency breaks out?", Wants.ANY),
        ("Who is the Executive Director of UN Women?", Wants.PERSON),
        ("who co-chairs the Call to Action IOWG", Wants.ANY),
        ("Who is the secretariat of the IAEG-GS?", Wants.NAME),
        ("Who leads the Transitional Justice Task Force?", Wants.NAME),
        ("What is the name of IOM's Director General?", Wants.PERSON),
    ],
)
def test_question_kinds(question: str, kind: Wants) -> None:
    assert wants(question) is kind


def test_a_figure_must_be_new_and_not_part_of_a_name() -> None:
    q = "How many people attended the 28 November 2024 session?"
    assert not supplies(q, "On 28 November 2024, FAO hosted a session during the 16 Days of Activism.")
    assert supplies("How many entities does it bring together?", "It brings together 26 UN entities.")


def test_a_date_question_needs_a_date() -> None:
    assert supplies("When was the statistical framework approved?", "It was approved in 2022 by the Commission.")
    assert not supplies("When was the statistical framework approved?", "It was approved by the Commission.")


def test_a_person_question_needs_a_new_proper_name() -> None:
    q = "Who is the UN Resident Coordinator in Samoa?"
    assert not supplies(q, "In Samoa, the Resident Coordinator’s leadership fostered improved coordination.")
    assert supplies(q, "The Resident Coordinator in Samoa is Jane Doe Smith.")


def test_a_role_holder_needs_a_person_not_an_organisation_or_place() -> None:
    q = "Who is the Executive Director of UN Women?"
    assert not supplies(q, "It works with the United Nations Population Fund in the Gaza Strip and the West Bank.")
    assert not supplies(q, "IOM's Director General has committed to scaling up such mechanisms.")
    assert not supplies(q, "It produced the Statistical Framework on the Gender-Related Killing of Women.")
    assert supplies(q, "UN Women is led by its Executive Director, Sima Bahous.")
    assert supplies(q, "Jean-Pierre Lacroix opened the session.")


def test_a_name_question_is_answered_by_an_organisation() -> None:
    assert supplies("Who is the secretariat of the IAEG-GS?", "The United Nations Statistics Division serves as its Secretariat.")
    assert not supplies("Who is the secretariat of the IAEG-GS?", "the group meets every year.")


def test_list_questions() -> None:
    assert asks_for_list("In which countries did Spotlight strengthen collaboration?")
    assert not asks_for_list("Who co-chairs the IOWG?")
