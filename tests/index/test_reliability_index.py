"""Index folders under stress: hand-edited manifests, damaged files read without checksums, odd folder names,
a build published while another process loads, and a `cited build` killed with SIGKILL part-way."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from index import load as index_load
from index.build import build_index
from index.embed import HashingEmbedder
from index.engine import Engine
from index.load import load_index
from index.manifest import FORMAT_VERSION, MANIFEST, SENTENCES, VECTORS, IndexFolderError

CITED = Path(sys.executable).parent / "cited"


@pytest.fixture()
def built(list_corpus: Path, tmp_path: Path) -> Path:
    index_dir = tmp_path / "index"
    build_index([list_corpus], index_dir, HashingEmbedder(), progress=False)
    return index_dir


def _edit_manifest(index_dir: Path, change: Callable[[dict[str, Any]], object]) -> None:
    path = index_dir / MANIFEST
    data = json.loads(path.read_text())
    replaced = change(data)
    path.write_text(json.dumps(data if replaced is None else replaced))


def _assert_one_sentence(exc: IndexFolderError, index_dir: Path, *fragments: str) -> None:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text, text
    assert f"cited build --index {index_dir}" in text, text
    for fragment in fragments:
        assert fragment in text, text


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda m: m.update(built_at=5), "'built_at' is not a string"),
        (lambda m: m.update(files=[]), "'files' is not a JSON object"),
        (lambda m: m.update(files={"vectors.faiss": 1}), "does not map file names to checksums"),
        (lambda m: m.update(passages="many"), "'passages' is not a whole number"),
        (lambda m: m.update(dimension=True), "'dimension' is not a whole number"),
        (lambda m: m.update(model=None), "'model' is not a string"),
        (lambda m: m.pop("dimension") and None, "'dimension' is missing"),
        (lambda m: [m], "not a JSON object"),
        (lambda m: m.update(format_version=FORMAT_VERSION + 1), f"format version {FORMAT_VERSION + 1}"),
        (lambda m: m.update(passages=m["passages"] + 1), "inconsistent"),
        (lambda m: m.update(dimension=128), "dimension 384, the manifest says 128"),
        (lambda m: m["files"].update({VECTORS: "0" * 64}), "vectors.faiss in the index"),
    ],
)
def test_a_hand_edited_manifest_is_refused_with_one_sentence(built: Path, change, fragment: str) -> None:
    _edit_manifest(built, change)
    with pytest.raises(IndexFolderError) as caught:
        load_index(built)
    _assert_one_sentence(caught.value, built, fragment)


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        (VECTORS, lambda data: data[:100]),
        (VECTORS, lambda data: b"\0" * len(data)),
        (SENTENCES, lambda data: data[:60]),
        ("aliases.json", lambda data: b"{not json"),
        ("store.sqlite", lambda data: data[: len(data) // 3]),
    ],
)
def test_a_damaged_file_is_named_even_when_checksums_are_not_verified(built: Path, name: str, damage) -> None:
    path = built.resolve() / name
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(IndexFolderError) as caught:
        load_index(built, verify_checksums=False)  # as `cited passages` loads: the file itself must be checked
    _assert_one_sentence(caught.value, built, name)
    assert "faiss::" not in str(caught.value)


@pytest.mark.parametrize("folder", ["with#hash", "with?question", "with%20percent", "with space"])
def test_an_index_in_a_folder_with_uri_characters_opens(list_corpus: Path, tmp_path: Path, folder: str) -> None:
    # SQLite is opened by URI: unescaped, '#' and '?' cut the path short and '%20' became a space.
    index_dir = tmp_path / folder / "index"
    build_index([list_corpus], index_dir, HashingEmbedder(), progress=False)
    engine = Engine.open(index_dir)
    try:
        assert engine.search(engine.query("lifeguard towers"), k=1).results
    finally:
        engine.close()


def test_a_build_published_during_a_load_does_not_mix_the_two(built: Path, tmp_path: Path, monkeypatch) -> None:
    """The link is swapped to another complete build right after the manifest is read: every file must still
    come from the build the manifest belongs to."""
    other_corpus = tmp_path / "other"
    other_corpus.mkdir()
    (other_corpus / "a.txt").write_text("Moorings were renewed in the eastern harbour.\n\nTide tables are posted daily.\n")
    other = tmp_path / "other-index"
    build_index([other_corpus], other, HashingEmbedder(), progress=False)
    original = index_load.read_manifest

    def read_then_swap(index_dir: Path, folder: Path | None = None):
        manifest = original(index_dir, folder)
        link = built.parent / ".swap"
        link.symlink_to(other.resolve())
        os.replace(link, built)
        return manifest

    monkeypatch.setattr(index_load, "read_manifest", read_then_swap)
    first = load_index(built)
    try:
        assert first.store.count() == first.manifest.passages == first.vectors.ntotal
        assert not any("Moorings" in t for t in first.store.texts())
    finally:
        first.close()
    monkeypatch.undo()
    assert any("Moorings" in t for t in load_index(built).store.texts())


# -- a build killed part-way ---------------------------------------------------------------------


def _big_corpus(folder: Path, documents: int = 600) -> Path:
    """Enough text that `cited build --model hashing-bow` takes a few seconds on this machine."""
    folder.mkdir()
    rng = random.Random(7)
    words = [f"term{i}" for i in range(5000)]
    for d in range(documents):
        paragraphs = [
            f"Report {d} paragraph {p} notes " + " ".join(rng.choice(words) for _ in range(rng.randint(40, 120))) + "."
            for p in range(8)
        ]
        (folder / f"doc{d:04d}.txt").write_text(f"# Report {d}\n\n" + "\n\n".join(paragraphs), encoding="utf-8")
    return folder


def _wait_for(predicate: Callable[[], bool], process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if process.poll() is not None:
            pytest.fail(f"cited build ended (status {process.returncode}) before the staging folder appeared")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the staging folder did not appear in time")
        time.sleep(0.01)


def test_a_build_killed_part_way_leaves_the_previous_index_serving(built: Path, tmp_path: Path) -> None:
    builds = built.parent / "index.builds"
    before = os.readlink(built)
    big = _big_corpus(tmp_path / "big")
    process = subprocess.Popen(
        [str(CITED), "build", str(big), "--index", str(built), "--model", "hashing-bow", "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _wait_for(lambda: any(builds.glob("*.partial/owner.pid")), process)
    time.sleep(0.3)  # into the encoding
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    (partial,) = builds.glob("*.partial")  # the killed build left its staging folder behind

    assert os.readlink(built) == before
    engine = Engine.open(built)
    try:
        top = engine.search(engine.query("Which towers were installed on beaches?"), k=1).results[0]
        assert "Lifeguard towers" in top.passage.text
    finally:
        engine.close()

    run = subprocess.run(
        [str(CITED), "build", str(big), "--index", str(built), "--model", "hashing-bow", "-q"],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert not partial.exists()
    assert not list(builds.glob("*.partial"))
    assert len(list(builds.iterdir())) == 1
    engine = Engine.open(built)
    try:
        assert engine.size == 4800
        assert engine.search(engine.query("Report 17 paragraph 3"), k=1).results
    finally:
        engine.close()
