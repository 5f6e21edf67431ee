"""Exact, near and containment duplicates; first occurrence kept; where the copies stood."""

from __future__ import annotations

import pytest

from corpus.dedup import DedupConfig, deduplicate, shingles
from corpus.model import Document, Location, doc_id_for, normalise
from corpus.pipeline import BuildReport, passages_from

BASE = (
    "The United Nations Statistics Division continues to serve as the Secretariat of the Inter-Agency "
    "and Expert Group on Gender Statistics, which has met annually since 2006 to assess progress and "
    "explore strategies to enhance gender statistics at national and global levels."
)
OTHER = (
    "UN Action is an inter-agency mechanism that brings together many UN entities across the "
    "humanitarian, development and peacebuilding spectrum to coordinate a response to sexual violence."
)


def _doc(source: str, text: str) -> Document:
    return Document(doc_id_for(source, text), source.title(), source, text)


@pytest.mark.parametrize(
    "copy",
    [
        BASE.upper(),
        BASE.replace(" ", " \t  ").replace("Division ", "Division\n", 1),
        "  " + BASE.replace(" the ", "\u00a0the\u00a0") + "\n",
        BASE.replace("Statistics", "Ｓｔａｔｉｓｔｉｃｓ"),  # full-width letters: NFKC folds them
        BASE.replace("Division", "Divi\u00adsion"),  # a soft hyphen renders as nothing
    ],
    ids=["case", "spaces", "nbsp", "fullwidth", "soft-hyphen"],
)
def test_an_exact_duplicate_after_normalising_is_found(copy: str) -> None:
    assert normalise(copy) == normalise(BASE)
    result = deduplicate([BASE, OTHER, copy])
    assert result.duplicate_of == {2: 0}
    assert result.exact == {2}
    assert result.count() == (1, 0)


@pytest.mark.parametrize(
    "copy",
    [
        BASE.replace("annually", "yearly"),  # a word changed
        BASE.replace("which has met", "which, as noted, has met"),  # words inserted
        "Click hereThe " + BASE[4:],  # a fused prefix that no rule strips
        BASE + " Share this",  # a trailing fragment
    ],
    ids=["changed", "inserted", "fused-prefix", "suffix"],
)
def test_a_near_duplicate_is_found(copy: str) -> None:
    result = deduplicate([BASE, OTHER, copy])
    assert result.duplicate_of == {2: 0}
    assert result.exact == frozenset()
    assert result.count() == (0, 1)


def test_the_near_thresholds_are_the_stated_ones() -> None:
    config = DedupConfig()
    assert (config.jaccard, config.shingle) == (0.8, 3)


def _jaccard(a: str, b: str) -> float:
    x, y = shingles(normalise(a)), shingles(normalise(b))
    return len(x & y) / len(x | y)


def test_jaccard_decides_between_near_and_distinct() -> None:
    one = BASE.replace("annually", "yearly")
    three = one.replace("assess", "review").replace("enhance", "improve")
    assert _jaccard(BASE, one) >= 0.8 > _jaccard(BASE, three)
    result = deduplicate([BASE, one, three])
    assert result.duplicate_of == {1: 0}


def test_a_block_that_shares_only_half_its_wording_is_kept() -> None:
    words = BASE.split()
    half = " ".join(words[: len(words) // 2]) + " " + " ".join(OTHER.split()[len(OTHER.split()) // 2 :])
    result = deduplicate([BASE, OTHER, half])
    assert 2 not in result.duplicate_of


def test_a_short_block_is_compared_exactly_only() -> None:
    # Five words: a one-word change would pass any shingle threshold by accident of size, so only
    # exact copies count.
    result = deduplicate(["Funding rose in the region.", "Funding fell in the region.", "funding ROSE in the region."])
    assert result.duplicate_of == {2: 0}


def test_the_first_occurrence_is_kept_and_copies_point_at_it() -> None:
    near = BASE.replace("annually", "every year")
    result = deduplicate([OTHER, near, BASE, BASE.lower(), near])
    assert result.duplicate_of == {2: 1, 3: 1, 4: 1}
    assert result.exact == {3, 4} or result.exact == {4}


def test_an_exact_copy_of_a_near_duplicate_points_at_the_block_finally_kept() -> None:
    near = BASE.replace("annually", "every year")
    result = deduplicate([BASE, near, near.upper()])
    assert result.duplicate_of == {1: 0, 2: 0}
    assert result.count() == (1, 1)


def test_count_since_counts_only_the_new_blocks() -> None:
    result = deduplicate([BASE, BASE, OTHER, OTHER, BASE.replace("annually", "every year")])
    assert result.count() == (2, 1)
    assert result.count(since=3) == (1, 1)


def test_deduplicate_of_nothing_is_nothing() -> None:
    assert deduplicate([]).duplicate_of == {}


def test_shingles_are_word_triples_of_the_normalised_text() -> None:
    assert shingles("a b c d") == {"a b c", "b c d"}
    assert shingles("a b") == {"a b"}
    assert shingles("") == frozenset()


# -- through the pipeline: passages and their recorded copies --------------------------------------


def test_passages_keep_the_first_copy_and_record_where_the_others_stood() -> None:
    first = _doc("a.txt", f"{BASE}\n\n{OTHER}")
    second = _doc("b.txt", f"Intro line that is unique to b.\n\nView more of it: {BASE}\n\n{BASE.upper()}")
    report = BuildReport()
    passages = passages_from([first, second], report=report)
    kept = {p.text: p for p in passages}
    assert list(kept) == [BASE, OTHER, "Intro line that is unique to b."]
    base = kept[BASE]
    assert base.doc_id == first.doc_id
    prefixed, upper = second.text.index("View more"), second.text.index(BASE.upper())
    assert base.also_at == (
        Location(second.doc_id, prefixed, upper - 2),
        Location(second.doc_id, upper, upper + len(BASE)),
    )
    assert kept[OTHER].also_at == ()
    assert (report.blocks, report.exact_duplicates, report.near_duplicates) == (5, 1, 1)
    assert report.passages_kept == len(passages)


def test_a_fused_prefix_copy_is_recorded_as_a_near_duplicate() -> None:
    first = _doc("a.txt", BASE)
    second = _doc("b.txt", "Click hereThe " + BASE[4:])
    report = BuildReport()
    (passage,) = passages_from([first, second], report=report)
    assert passage.text == BASE
    assert passage.also_at == (Location(second.doc_id, 0, len(second.text)),)
    assert (report.exact_duplicates, report.near_duplicates) == (0, 1)


def test_existing_passages_are_not_added_again() -> None:
    doc = _doc("new.txt", f"{BASE.upper()}\n\n{OTHER}")
    report = BuildReport()
    passages = passages_from([doc], existing=[BASE], report=report)
    assert [p.text for p in passages] == [OTHER]
    assert report.exact_duplicates == 1
    assert passages[0].also_at == ()


def test_split_chunks_of_a_long_block_that_repeat_are_kept_once() -> None:
    sentence = "Every chunk of this paragraph repeats the same sentence over and over again."
    long_block = " ".join([sentence] * 60)  # 780 words, all chunks equal
    passages = passages_from([_doc("a.txt", long_block)])
    assert len({p.passage_id for p in passages}) == len(passages)


# -- the configuration --------------------------------------------------------------------------


def test_a_config_whose_bands_do_not_divide_the_permutations_is_refused_in_words() -> None:
    with pytest.raises(ValueError, match="must be a multiple of bands"):
        DedupConfig(num_perm=100, bands=32)


def test_blocks_without_word_characters_are_never_near_duplicates() -> None:
    dashes = ["— — — — — — —", "– – – – – – –", "... ... ... ... ... ... ..."]
    assert deduplicate(dashes).duplicate_of == {}


def test_other_shingle_sizes_work() -> None:
    words = BASE.split()
    changed = " ".join([*words[:-1], "different"])
    assert deduplicate([BASE, changed], DedupConfig(shingle=1)).duplicate_of == {1: 0}
    assert deduplicate([BASE, changed], DedupConfig(shingle=5, min_words=3)).duplicate_of == {1: 0}
