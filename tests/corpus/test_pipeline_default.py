"""The bundled UN page, where every block appears twice: what the issue's "Done when" asks of it.

The expected paragraphs and bullets are derived from the raw seed file here, independently of the
pipeline: its unique lines once a fused "View More" and a bullet's "- " are taken off.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest
from corpus_helpers import DEFAULT_CORPUS, SEED

from corpus.dedup import shingles
from corpus.model import normalise, passage_id_for
from corpus.pipeline import PreparedCorpus, prepare

SPOTLIGHT_LEAD_IN = "The following examples highlight strengthened inter-agency collaboration across Spotlight programmes:"
IOM_LEAD_IN = (
    "In 2024, IOM continued to pursue key milestones set against commitments made under the Global Call to Action "
    "on Protection against GBV in Emergencies 2021-2025 Roadmap. The following milestones were met in 2024:"
)
COUNTRIES = ("Samoa", "Mozambique", "Mexico", "Haiti", "Trinidad and Tobago", "El Salvador")


def expected_units() -> list[str]:
    """Unique paragraphs and bullets of the seed file, in order of first appearance."""
    units: list[str] = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("View More"):
            line = line[len("View More") :]
        if line.startswith("- "):
            line = line[2:]
        line = line.strip()
        if line and line != "Search" and line not in units:
            units.append(line)
    return units


@pytest.fixture(scope="module")
def prepared() -> PreparedCorpus:
    return prepare([DEFAULT_CORPUS])


def test_the_seed_is_what_the_tests_assume() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Search"
    assert sum(line.startswith("View More") for line in lines) == 9
    assert len(expected_units()) == 28


def test_the_report_counts_the_doubled_blocks(prepared: PreparedCorpus) -> None:
    r = prepared.report
    assert (r.documents_read, r.blocks, r.exact_duplicates, r.near_duplicates, r.passages_kept) == (1, 56, 28, 0, 28)
    assert r.skipped == []


def test_each_unique_paragraph_and_bullet_is_in_exactly_one_passage(prepared: PreparedCorpus) -> None:
    texts = [p.text for p in prepared.passages]
    for unit in expected_units():
        holders = [t for t in texts if unit in t]
        assert len(holders) == 1, unit[:60]
    assert sorted(texts) == sorted(expected_units())
    assert texts == expected_units()  # in reading order


def test_no_two_passages_share_normalised_text_or_are_near_duplicates(prepared: PreparedCorpus) -> None:
    normalised = [normalise(p.text) for p in prepared.passages]
    assert len(set(normalised)) == len(normalised)
    assert len({p.passage_id for p in prepared.passages}) == len(normalised)
    sets = [shingles(n) for n in normalised]
    for a, b in itertools.combinations(sets, 2):
        common = len(a & b)
        assert common / len(a | b) < 0.8
        assert common / min(len(a), len(b)) < 0.85


def test_no_search_line_or_view_more_survives(prepared: PreparedCorpus) -> None:
    for p in prepared.passages:
        for field in (p.text, p.context or "", p.embedding_text()):
            assert "view more" not in field.casefold()
            assert not any(line.strip().casefold() == "search" for line in field.splitlines())
    (doc,) = prepared.documents
    assert "view more" not in doc.text.casefold()
    assert not re.search(r"(?m)^\s*Search\s*$", doc.text)


def test_country_bullets_carry_the_spotlight_lead_in(prepared: PreparedCorpus) -> None:
    for country in COUNTRIES:
        (bullet,) = [p for p in prepared.passages if f"in {country}," in p.text[:40] or f"In {country}," in p.text[:40]]
        assert bullet.context == SPOTLIGHT_LEAD_IN, country
        assert bullet.embedding_text() == f"{bullet.title}\n{SPOTLIGHT_LEAD_IN}\n{bullet.text}"  # title, lead-in, bullet
    assert Counter(p.context for p in prepared.passages)[SPOTLIGHT_LEAD_IN] == len(COUNTRIES)


def test_the_iom_milestone_bullets_carry_the_iom_lead_in(prepared: PreparedCorpus) -> None:
    milestones = [p for p in prepared.passages if p.context == IOM_LEAD_IN]
    assert [m.text[:30] for m in milestones] == ["A substantial increase of 45% ", "More than eight country missio"]
    # The lead-in itself is a passage too, and it is not its own context.
    (lead,) = [p for p in prepared.passages if p.text == IOM_LEAD_IN]
    assert lead.context is None


def test_other_paragraphs_have_no_lead_in(prepared: PreparedCorpus) -> None:
    with_context = {p.text[:20] for p in prepared.passages if p.context}
    assert len(with_context) == len(COUNTRIES) + 2


def test_offsets_round_trip_for_every_passage(prepared: PreparedCorpus) -> None:
    docs = {d.doc_id: d for d in prepared.documents}
    for p in prepared.passages:
        assert docs[p.doc_id].text[p.start : p.end] == p.text
        assert p.passage_id == passage_id_for(p.text)
        assert p.source.endswith("un-inter-agency-work-on-violence-against-women.txt")
        assert p.title.startswith("Inter-agency work to end violence against women and girls")
        assert p.page is None


def test_each_passage_records_where_its_copy_stood(prepared: PreparedCorpus) -> None:
    (doc,) = prepared.documents
    kept = {(p.start, p.end) for p in prepared.passages}
    for p in prepared.passages:
        (copy,) = p.also_at
        assert copy.doc_id == doc.doc_id and copy.start > p.start
        assert normalise(doc.text[copy.start : copy.end]) == normalise(p.text)
        assert (copy.start, copy.end) not in kept
