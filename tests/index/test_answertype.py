"""The kind of fact a question asks for, and whether a sentence supplies it."""

import pytest

from index.answertype import Asked, Wants, asks_for_list, wants


def supplies(question: str, sentence: str) -> bool:
    return Asked.of(question).supplied_by(sentence)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many entities does UN Action bring together?", Wants.NUMBER),
        ("How much funding did UNFPA give?", Wants.MONEY),
        ("When did FAO host the session?", Wants.DATE),
        ("In what year was UN Action established?", Wants.DATE),
        ("How does IOM get money to groups quickly when a new emergency breaks out?", Wants.ANY),
        ("Who is the Executive Director of UN Women?", Wants.PERSON),
        ("who co-chairs the Call to Action IOWG", Wants.ANY),
        ("Who is the secretariat of the IAEG-GS?", Wants.NAME),
        ("Who leads the Transitional Justice Task Force?", Wants.NAME),
        ("What is the name of IOM's Director General?", Wants.PERSON),
        ("What is the default value of work_mem?", Wants.VALUE),
        ("What is the log level set to by default?", Wants.VALUE),
        ("What is the maximum file size the filesystem supports?", Wants.VALUE),
        ("Which release first shipped the feature?", Wants.NUMBER),
        ("What was the total budget of the programme?", Wants.MONEY),
        ("On what exact date was it released?", Wants.DATE),
        ("Which city hosted the first conference?", Wants.PLACE),
        ("Which countries does the initiative work in?", Wants.PLACE),
        ("Who designed the logo?", Wants.NAME),
        ("Who can apply for a grant?", Wants.ANY),
        ("When a domain lists several mail servers, which one gets tried first?", Wants.ANY),
        ("When is the brief supposed to be done?", Wants.DATE),
        ("Who maintains the package today?", Wants.NAME),
        ("At which university was the system first developed?", Wants.NAME),
        ("Which company develops the distribution?", Wants.NAME),
        ("What is the largest size a table can grow to?", Wants.VALUE),
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


def test_a_setting_question_needs_a_value_the_question_does_not_give() -> None:
    q = "What is the default value of max_workers?"
    assert supplies(q, "The default is 8 workers.")
    assert supplies(q, "It is off by default.")
    assert not supplies(q, "max_workers sets how many workers may run at once.")


def test_a_word_value_counts_only_where_a_value_stands() -> None:
    q = "What is the default setting of wal_buffers?"
    assert supplies(q, "By default, it is set to try, which enables the feature where it is available.")
    assert supplies(q, "The parameter defaults to lz4.")
    assert supplies(q, "Compression is turned off unless asked for.")
    assert supplies(q, "The limit (default: none) applies to each session.")
    # "on" as a preposition is no setting's value
    assert not supplies(q, "On such systems one should increase the number of WAL buffers by modifying wal_buffers.")
    assert not supplies(q, "A forward scan of an index on column x produces sorted output.")
    # a value the question itself names is no answer
    assert not supplies("Which value replaces off by default for wal_compression?", "It is set to off.")


def test_the_verb_may_is_no_month() -> None:
    q = "When was the report published?"
    assert not supplies(q, "It may be published later in the year.")
    assert supplies(q, "It was published in May 2021.")
    assert Asked.of("How long may a database name be?").months == frozenset()
    assert Asked.of("May I copy the data files?").months == frozenset()


def test_an_organisation_question_needs_a_new_name() -> None:
    q = "At which university was the system first developed?"
    assert supplies(q, "It began as a research project at the University of California at Berkeley.")
    assert not supplies(q, "The system is a relational database that manages data stored in relations.")


def test_a_place_question_needs_a_new_capitalised_name() -> None:
    q = "Which city hosted the first conference of the Debian project?"
    assert supplies(q, "The first conference was held in Bordeaux in 2000.")
    assert not supplies(q, "The Debian project holds a conference every year.")


def test_who_did_something_is_answered_by_a_person_or_an_organisation() -> None:
    q = "Who worked on the global support system?"
    assert supplies(q, "OHCHR contributed to the elaboration of a global support system.")
    assert supplies(q, "The system was designed by Ada Lovelace.")
    assert not supplies(q, "the global support system was elaborated over several years.")


def test_a_document_or_a_subject_is_not_who_did_something() -> None:
    q = "Who designed the logo?"
    assert not supplies(q, "Consult the Trademark Usage Policy for more information.")
    assert not supplies(q, "The logo is covered by the Brand Guidelines.")
    assert supplies(q, "The logo was commissioned by the Software Foundation.")
    assert supplies(q, "Tim Parkin drew it in 2006.")


def test_a_count_is_given_beside_the_thing_counted() -> None:
    asked = Asked.of("How many entities does UN Action bring together?")
    assert asked.counts("UN Action brings together 25 United Nations entities.")
    assert not asked.counts("In 2016 the network moved to New York.")
    assert Asked.of("Who leads the network?").counts("It has no figure at all.")


def test_the_number_of_a_thing_counts_that_thing() -> None:
    asked = Asked.of("What is the maximum number of columns in an index?")
    assert asked.counts("Indexes can have up to 32 columns, including INCLUDE columns.")
    assert not asked.counts("The limit was raised in release 9 of the server, which many indexes use.")


def test_a_figure_may_be_spelled_out() -> None:
    q = "How many developers did the company hire at first?"
    assert supplies(q, "It hired thirty-odd developers.")
    assert Asked.of(q).counts("It hired thirty-odd developers.")
    assert supplies("Roughly how many people use it?", "There are probably millions of users.")


def test_a_yes_no_question_asks_for_no_figure() -> None:
    assert wants("Can I put a time limit on how long someone may stay above their quota?") is Wants.ANY
    assert wants("Is there a limit on how many files I can open?") is Wants.ANY


def test_a_money_question_needs_a_sum_not_a_year() -> None:
    q = "What was the total budget of the programme in Haiti?"
    assert wants(q) is Wants.MONEY
    assert not supplies(q, "In Haiti, an earthquake in August 2021 required multiple changes.")
    assert supplies(q, "The programme in Haiti had a budget of US$ 14 million.")


def test_a_count_is_not_a_year() -> None:
    q = "How many people attended the session?"
    assert not supplies(q, "The session was held in 2024.")
    assert supplies(q, "Some 200 people attended the session held in 2024.")


def test_a_place_is_not_an_organisation() -> None:
    q = "Where will the next group meeting be held?"
    assert not supplies(q, "The United Nations Statistics Division serves as the Secretariat of the group.")
    assert supplies(q, "The next meeting of the group will be held in Geneva.")


def test_how_often_is_answered_by_a_frequency() -> None:
    q = "How often does the daemon look for new uploads?"
    assert supplies(q, "It looks for new packages every half-hour.")
    assert supplies(q, "The job runs daily.")
    assert not supplies(q, "Its options are documented in its manual page.")


def test_a_port_is_a_number() -> None:
    assert wants("Which TCP port does the daemon listen on?") is Wants.NUMBER
    assert supplies("Which TCP port does the daemon listen on?", "The daemon listens on port 4949.")
