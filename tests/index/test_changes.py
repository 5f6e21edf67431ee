"""Document-level changes to a published index: add, replace and remove change the store, the lexical index and
the vector index together, for every vector index type; shared text stays findable; compaction reclaims space;
writers take turns; a killed sync leaves the old index or the new one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from corpus.loaders import RawDocument, display_source
from corpus.model import Document
from corpus.pipeline import clean_documents
from index import vectors as vector_index
from index.build import build_index
from index.changes import UnknownDocument, apply_changes
from index.config import Mode
from index.embed import HashingEmbedder
from index.engine import Engine
from index.load import load_index
from index.manifest import IndexFolderError
from index.publish import writer_lock
from index.sync import sync_paths
from service.launcher import cited_command

SHARED = "Visitors must sign the register at the front desk and wear a badge at all times while on site."
FILES = {
    "hr/leave.md": "# Leave policy\n\nEvery employee receives 27 days of annual leave.\n\nParental leave lasts sixteen weeks.\n",
    "eng/deploy.md": f"# Deploy guide\n\nDeployments run every Tuesday from the release branch.\n\n{SHARED}\n",
    "eng/visitors.md": f"# Visitors\n\nThe lobby opens at seven in the morning.\n\n{SHARED}\n",
}


def document(source: str, text: str) -> Document:
    return clean_documents([RawDocument(source, None, text, title_in_text=True)])[0]


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


@pytest.fixture(params=list(vector_index.IndexType))
def index_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    write_files(root, FILES)
    index = tmp_path / "index"
    build_index([root], index, HashingEmbedder(), index_type=request.param, progress=False)
    return index


def opened(index: Path) -> Engine:
    return Engine.open(index)


def texts(engine: Engine, question: str, mode: Mode = Mode.HYBRID, k: int = 10) -> list[str]:
    return [r.passage.text for r in engine.search(engine.query(question, mode), k).results]


def doc_id_of(engine: Engine, suffix: str) -> str:
    return next(d.doc_id for d in engine.index.store.documents() if d.source.endswith(suffix))


# -- add, replace, remove ------------------------------------------------------------------------


def test_a_replaced_document_leaves_both_indexes_and_its_new_text_is_searchable(index_dir: Path) -> None:
    engine = opened(index_dir)
    old_id = doc_id_of(engine, "hr/leave.md")
    source = engine.index.store.document(old_id).source
    engine.close()
    new = document(source, "# Leave policy\n\nEvery employee now receives thirty days of holiday.\n")
    result = apply_changes(index_dir, [new])
    assert list(result.replaced) == [old_id] and result.replaced[old_id].doc_id == new.doc_id
    engine = opened(index_dir)
    try:
        assert engine.document(old_id) is None and engine.document(new.doc_id) is not None
        for mode in Mode:
            found = texts(engine, "parental leave sixteen weeks", mode)
            assert not any("Parental" in t for t in found), mode
        # The removed text's terms are gone from BM25's statistics (no stale terms behind, as txtai #601 had).
        assert "parent" not in engine.retrieval.lexical.lexical.term_frequencies()
        assert any("thirty days" in t for t in texts(engine, "how many days of holiday", Mode.LEXICAL))
        assert engine.size == engine.manifest.passages == engine.index.store.count()
    finally:
        engine.close()


@pytest.mark.parametrize("mode", list(Mode))
def test_a_removed_documents_vectors_are_never_returned(tmp_path: Path, mode: Mode) -> None:
    root = tmp_path / "docs"
    write_files(root, FILES)
    index = tmp_path / "index"
    build_index([root], index, HashingEmbedder(), progress=False)
    gone = doc_id_of(opened(index), "hr/leave.md")
    apply_changes(index, remove=[gone], compact_above=1.0)  # tombstones kept: no compaction
    engine = opened(index)
    try:
        assert engine.index.vectors.ntotal > engine.size  # the vectors are still there
        outcome = engine.search(engine.query("annual leave and parental leave, deployments, the lobby", mode), k=50)
        assert outcome.results and all(r.passage.doc_id != gone for r in outcome.results)
        if mode is not Mode.LEXICAL:  # every live passage has a vector; none of the removed ones is found
            assert len(outcome.results) == engine.size
    finally:
        engine.close()


def test_removing_an_unknown_document_changes_nothing(index_dir: Path) -> None:
    before = index_dir.resolve()
    with pytest.raises(UnknownDocument, match="d-0000000000000000"):
        apply_changes(index_dir, remove=["d-0000000000000000"])
    assert index_dir.resolve() == before


def test_adding_what_is_stored_already_publishes_nothing(index_dir: Path) -> None:
    engine = opened(index_dir)
    stored = next(iter(engine.index.store.documents()))
    engine.close()
    before = index_dir.resolve()
    result = apply_changes(index_dir, [stored])
    assert not result.changed and result.unchanged == [stored] and index_dir.resolve() == before


# -- shared text -----------------------------------------------------------------------------------


def shared_passage(engine: Engine):
    return next(r.passage for r in engine.search(engine.query("sign the register and wear a badge", Mode.LEXICAL), 3).results if r.passage.text == SHARED)


def test_text_shared_with_a_removed_document_stays_with_the_other(index_dir: Path) -> None:
    engine = opened(index_dir)
    passage = shared_passage(engine)
    owner, other = passage.doc_id, next(loc.doc_id for loc in passage.also_at)
    engine.close()
    apply_changes(index_dir, remove=[owner])
    engine = opened(index_dir)
    try:
        moved = shared_passage(engine)
        assert moved.doc_id == other and moved.also_at == ()
        text = engine.document(other).text
        assert text[moved.start : moved.end] == SHARED
    finally:
        engine.close()


def test_a_removed_duplicate_leaves_the_kept_passages_locations(index_dir: Path) -> None:
    engine = opened(index_dir)
    passage = shared_passage(engine)
    other = next(loc.doc_id for loc in passage.also_at)
    engine.close()
    apply_changes(index_dir, remove=[other])
    engine = opened(index_dir)
    try:
        kept = shared_passage(engine)
        assert kept.doc_id == passage.doc_id and kept.also_at == ()
    finally:
        engine.close()


def test_a_new_document_repeating_a_stored_passage_is_listed_among_its_places(index_dir: Path) -> None:
    new = document("notes/reception.md", f"# Reception\n\nParcels and letters for the staff are collected from the post room every day at noon by the porter.\n\n{SHARED}\n")
    apply_changes(index_dir, [new])
    engine = opened(index_dir)
    try:
        assert new.doc_id in {loc.doc_id for loc in shared_passage(engine).also_at}
    finally:
        engine.close()


# -- compaction ------------------------------------------------------------------------------------


def test_compaction_reclaims_the_space_of_removed_passages(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    write_files(root, {f"d{i:02d}.md": f"# Note {i}\n\nThe depot number {i} stores {i * 13} crates of {'apples pears plums'.split()[i % 3]}.\n\n" + " ".join(f"word{i}x{j}" for j in range(300)) + "\n" for i in range(40)})
    index = tmp_path / "index"
    build_index([root], index, HashingEmbedder(), index_type=vector_index.IndexType.HNSW, progress=False)
    size = (index / "store.sqlite").stat().st_size
    engine = opened(index)
    doomed = [d.doc_id for d in engine.index.store.documents()][:30]
    engine.close()
    apply_changes(index, remove=doomed[:5], compact_above=1.0)
    loaded = load_index(index)
    assert loaded.vectors.ntotal > loaded.store.count()
    loaded.close()
    result = apply_changes(index, remove=doomed[5:])
    assert result.compacted
    loaded = load_index(index)
    try:
        assert loaded.vectors.ntotal == loaded.store.count() == loaded.manifest.passages
        assert len(loaded.sentence_rows) == loaded.store.count() + 1
        assert (index / "store.sqlite").stat().st_size < size / 2
    finally:
        loaded.close()
    engine = opened(index)
    try:
        assert texts(engine, "depot number 35 crates", Mode.DENSE, 3)[0] == "The depot number 35 stores 455 crates of plums."
    finally:
        engine.close()


# -- sync --------------------------------------------------------------------------------------------


def test_sync_adds_replaces_and_removes_and_a_second_run_does_nothing(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    write_files(root, FILES)
    index = tmp_path / "index"
    build_index([root], index, HashingEmbedder(), progress=False)
    assert not sync_paths([root], index).change.changed  # built from the same files: nothing to do
    (root / "hr/leave.md").write_text("# Leave policy\n\nEvery employee receives 30 days.\n", encoding="utf-8")
    (root / "eng/deploy.md").unlink()
    write_files(root, {"eng/oncall.md": "# Oncall\n\nThe oncall rotation changes every Monday.\n"})
    result = sync_paths([root], index)
    assert (len(result.change.added), len(result.change.replaced), len(result.change.removed)) == (1, 1, 1)
    assert result.unchanged_files == 1
    assert [line.split()[0] for line in result.lines()] == ["added", "replaced", "removed", "unchanged"]
    published = index.resolve()
    again = sync_paths([root], index)
    assert not again.change.changed and index.resolve() == published and again.unchanged_files == 3
    engine = opened(index)
    try:
        sources = sorted(d.source.rsplit("docs/", 1)[-1] for d in engine.index.store.documents())
        assert sources == ["eng/oncall.md", "eng/visitors.md", "hr/leave.md"]
    finally:
        engine.close()


@pytest.mark.slow
def test_a_first_sync_builds_with_the_backend_asked_for(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    write_files(root, FILES)
    result = sync_paths([root], tmp_path / "index", backend="torch")
    assert result.change.manifest is not None and result.change.manifest.backend == "torch"
    assert load_index(tmp_path / "index").manifest.backend == "torch"


def test_sync_of_a_missing_folder_is_refused(tmp_path: Path, index_dir: Path) -> None:
    with pytest.raises(IndexFolderError, match="no file or folder"):
        sync_paths([tmp_path / "nowhere"], index_dir)


# -- writers -------------------------------------------------------------------------------------------


def test_concurrent_writers_take_turns_and_lose_nothing(index_dir: Path) -> None:
    docs = [document(f"notes/n{i}.md", f"# Note {i}\n\nThe kiosk number {i} sells {i} kinds of tea.\n") for i in range(4)]
    errors: list[BaseException] = []

    def write(doc: Document) -> None:
        try:
            apply_changes(index_dir, [doc])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(d,)) for d in docs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = opened(index_dir)
    try:
        assert all(engine.document(d.doc_id) is not None for d in docs)  # no writer built on a state another replaced
    finally:
        engine.close()


def test_a_writer_that_cannot_get_the_lock_says_so(index_dir: Path) -> None:
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with writer_lock(index_dir):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        with pytest.raises(IndexFolderError, match="another writer"), writer_lock(index_dir, wait_s=0.2):
            pass
    finally:
        release.set()
        holder.join()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_sync_killed_at_any_moment_leaves_the_old_index_or_the_new(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "docs"
    write_files(root, {f"a{i:03d}.md": f"# Old {i}\n\nThe old depot {i} holds {i} crates.\n" for i in range(60)})
    index = tmp_path / "index"
    build_index([root], index, HashingEmbedder(), progress=False)
    old = {d.source for d in load_index(index).store.documents()}
    for i in range(0, 60, 2):
        (root / f"a{i:03d}.md").unlink()
    write_files(root, {f"b{i:03d}.md": f"# New {i}\n\nThe new depot {i} holds {i * 3} crates.\n" * 3 for i in range(120)})
    new = {display_source(p) for p in root.iterdir()}
    delays = random.Random(seed).sample(range(50, 2500, 50), 4)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for delay in delays:
        process = subprocess.Popen([*cited_command(), "sync", str(root), "--index", str(index)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay / 1000)
        process.send_signal(signal.SIGKILL)
        process.wait()
        loaded = load_index(index)  # opens, checksums and all
        try:
            found = {d.source for d in loaded.store.documents()}
        finally:
            loaded.close()
        assert found in (old, new)
    finished = subprocess.run([*cited_command(), "sync", str(root), "--index", str(index)], env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    final = load_index(index)
    try:
        assert len(list(final.store.documents())) == 150
        assert not list(index.parent.glob("index.builds/*.partial"))  # the killed ones' staging folders are cleaned
    finally:
        final.close()


def test_appended_sentence_vectors_equal_the_concatenation(tmp_path: Path) -> None:
    import numpy as np

    from index.manifest import SENTENCE_ROWS, SENTENCES
    from index.sentence_vectors import write_with_appended

    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    matrix = np.random.default_rng(0).standard_normal((1000, 8)).astype(np.float16)
    np.save(old / SENTENCES, matrix)
    added = [np.ones((2, 8)), np.zeros((0, 8)), np.full((3, 8), 0.5)]
    write_with_appended(new, old, np.array([0, 400, 1000]), added, 8)
    assert np.array_equal(np.load(new / SENTENCES), np.concatenate([matrix, *(a.astype(np.float16) for a in added)]))
    assert np.load(new / SENTENCE_ROWS).tolist() == [0, 400, 1000, 1002, 1002, 1005]
    assert np.array_equal(np.load(old / SENTENCES), matrix)  # the live file is never written


def test_the_acronym_table_follows_added_and_removed_definitions(index_dir: Path) -> None:
    from index.aliases import AliasTable

    defining = document("notes/ows.md", "# Water\n\nThe Office for Water Safety (OWS) inspects every weir twice a year.\n")
    apply_changes(index_dir, [defining])
    loaded = load_index(index_dir)
    try:
        assert loaded.aliases.long_forms("OWS") == ["Office for Water Safety"]
        assert loaded.aliases.aliases == AliasTable.mine(loaded.store.texts()).aliases
    finally:
        loaded.close()
    apply_changes(index_dir, remove=[defining.doc_id])
    loaded = load_index(index_dir)
    try:
        assert loaded.aliases.long_forms("OWS") == []
    finally:
        loaded.close()


def test_sources_of_many_files_are_shown_as_one_file_is(tmp_path: Path) -> None:
    from index.sync import display_sources

    write_files(tmp_path / "docs", FILES)
    (tmp_path / "docs" / "link.md").symlink_to(tmp_path / "docs" / "hr" / "leave.md")
    files = sorted(p for p in (tmp_path / "docs").rglob("*.md"))
    assert display_sources(files) == {p: display_source(p) for p in files}


def test_cited_add_after_a_removal_appends_after_the_tombstones(tmp_path: Path) -> None:
    from index.build import add_to_index

    root = tmp_path / "docs"
    write_files(root, FILES)
    index = tmp_path / "index"
    build_index([root], index, HashingEmbedder(), progress=False)
    apply_changes(index, remove=[doc_id_of(opened(index), "hr/leave.md")], compact_above=1.0)
    extra = tmp_path / "extra"
    write_files(extra, {"canteen.md": "# Canteen\n\nThe canteen serves lentil soup from noon until two.\n"})
    add_to_index([extra], index, HashingEmbedder(), progress=False)
    engine = opened(index)  # loads: rows, vectors and sentence vectors still line up
    try:
        for mode in Mode:
            assert texts(engine, "lentil soup canteen", mode, 1) == ["The canteen serves lentil soup from noon until two."]
    finally:
        engine.close()
