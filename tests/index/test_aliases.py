"""Acronym definitions mined from text, and query expansion in both directions."""

from index.aliases import AliasTable, find_definitions

TEXT = (
    "As the co-chair of the Call-to-Action International Organization Working Group (IOWG) alongside UNHCR, "
    "IOM advocated for financing. Through the Rapid Response Fund (RRF), IOM provided grants. "
    "The meeting (see annex) was short. Violence (GBV) and the 2024 (report) are not definitions."
)


def test_long_forms_are_found_by_their_letters() -> None:
    found = dict(find_definitions(TEXT))
    assert found["IOWG"] == "International Organization Working Group"
    assert found["RRF"] == "Rapid Response Fund"


def test_parentheses_that_are_not_acronyms_are_ignored() -> None:
    found = dict(find_definitions(TEXT))
    assert "see annex" not in found
    assert "report" not in found
    assert "GBV" not in found  # "Violence" cannot spell G-B-V


def test_expansion_works_both_ways() -> None:
    table = AliasTable.mine([TEXT])
    assert table.expansions("who co-chairs the Call to Action IOWG") == ["International Organization Working Group"]
    assert table.expansions("what does the international organization working group do?") == ["IOWG"]
    assert table.expansions("what is the weather like") == []


def test_a_common_lowercase_word_is_not_taken_for_an_acronym() -> None:
    table = AliasTable.mine(["The World Health Organization (WHO) published estimates."])
    assert table.expansions("who published the estimates?") == []
    assert table.expansions("What did WHO publish?") == ["World Health Organization"]


def test_table_round_trips_through_its_file(tmp_path) -> None:
    table = AliasTable.mine([TEXT])
    table.save(tmp_path)
    again = AliasTable.load(tmp_path)
    assert [(a.short, a.long) for a in again.aliases] == [(a.short, a.long) for a in table.aliases]


def test_a_new_corpus_gets_its_own_table() -> None:
    assert AliasTable.mine(["Nothing is abbreviated here."]).aliases == []


def test_an_acronym_never_defined_is_spelled_by_a_name_in_the_texts() -> None:
    texts = [
        "The United Nations Statistics Division serves as the Secretariat of the group.",
        "UNSD also is part of the technical group. The Department of Economic and Social Affairs met.",
        "DESA published the figures. The Check Library Reference is not an acronym's name.",
    ]
    table = AliasTable.mine(texts)
    assert table.long_forms("UNSD") == ["United Nations Statistics Division"]
    assert table.long_forms("DESA") == ["Department of Economic and Social Affairs"]
    assert table.expansions("What is UNSD's role?") == ["United Nations Statistics Division"]


def test_an_acronym_two_names_spell_equally_gets_no_long_form() -> None:
    table = AliasTable.mine(["Rapid Response Fund. Regional Relief Facility. RRF grants."])
    assert table.long_forms("RRF") == []
