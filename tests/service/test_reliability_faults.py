"""A damaged index stops `cited serve` and `cited search` alike: one sentence that names the problem and the
fix, no traceback, a non-zero exit status. Each fault is injected into a copy of the small index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.manifest import MANIFEST, STORE, VECTORS, sha256_of

CITED = Path(sys.executable).parent / "cited"
HASHING = {"CITED_MODEL": "hashing-bow"}


def _truncate(path: Path, keep: int = 100) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def _scribble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xde\xad\xbe\xef" * 1024
    path.write_bytes(bytes(data[: len(path.read_bytes())]))


def _edit(index: Path, **fields: object) -> None:
    manifest = json.loads((index / MANIFEST).read_text())
    manifest.update(fields)
    (index / MANIFEST).write_text(json.dumps(manifest))


def _reseal(index: Path, name: str) -> None:
    """Make the manifest's checksum agree with a damaged file, so the damage itself must be caught."""
    manifest = json.loads((index / MANIFEST).read_text())
    manifest["files"][name] = sha256_of(index / name)
    (index / MANIFEST).write_text(json.dumps(manifest))


@dataclass(frozen=True)
class Fault:
    damage: Callable[[Path], None]
    says: tuple[str, ...]  # fragments of the sentence
    env: dict[str, str]


FAULTS = {
    "truncated-faiss": Fault(lambda d: _truncate(d / VECTORS), ("vectors.faiss", "does not match its checksum"), HASHING),
    "truncated-faiss-resealed": Fault(
        lambda d: (_truncate(d / VECTORS), _reseal(d, VECTORS)), ("vectors.faiss", "cannot be read (truncated or damaged)"), HASHING
    ),
    "deleted-store": Fault(lambda d: (d / STORE).unlink(), ("is missing store.sqlite",), HASHING),
    "corrupt-store": Fault(lambda d: _scribble(d / STORE), ("store.sqlite", "does not match its checksum"), HASHING),
    "corrupt-store-resealed": Fault(
        lambda d: ((d / STORE).write_bytes(b"SQLite? no." * 500), _reseal(d, STORE)), ("store.sqlite is unreadable",), HASHING
    ),
    "manifest-counts-edited": Fault(lambda d: _edit(d, passages=7), ("inconsistent", "manifest: 7"), HASHING),
    "manifest-type-edited": Fault(lambda d: _edit(d, built_at=20240101), ("manifest", "'built_at' is not a string"), HASHING),
    "manifest-not-json": Fault(lambda d: (d / MANIFEST).write_text("{\"model\": "), ("manifest", "not valid"), HASHING),
    "manifest-deleted": Fault(lambda d: (d / MANIFEST).unlink(), ("has no manifest.json",), HASHING),
    "another-model": Fault(
        lambda d: None,
        ("built with the model hashing-bow", "sentence-transformers/all-MiniLM-L6-v2 is configured", "CITED_MODEL=hashing-bow"),
        {},  # CITED_MODEL unset: the service expects all-MiniLM-L6-v2
    ),
}


@dataclass(frozen=True)
class Outcome:
    index: Path
    returncode: int
    output: str


def _run(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    return run.returncode, run.stdout + run.stderr


@pytest.fixture(scope="module")
def outcomes(small_index: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Outcome]:
    """Every fault, run through `cited serve` and `cited search` at once (each serve start imports torch)."""
    # CITED_TORCH_THREADS=0 spares each `cited serve` the import of torch (it only sets torch's threads),
    # which would otherwise be most of the time a refused start takes.
    base = {k: v for k, v in os.environ.items() if k != "CITED_MODEL"} | {"CITED_TORCH_THREADS": "0"}
    jobs = {}
    for name, fault in FAULTS.items():
        index = tmp_path_factory.mktemp(name) / "index"
        shutil.copytree(small_index.resolve(), index)
        fault.damage(index)
        env = base | fault.env
        jobs[(name, "serve")] = (index, [str(CITED), "serve", "--port", "0", "--index", str(index)], env)
        jobs[(name, "search")] = (index, [str(CITED), "search", "--index", str(index), "Who funds the project?"], env)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: pool.submit(_run, command, env) for key, (_, command, env) in jobs.items()}
        return {key: Outcome(jobs[key][0], *future.result()) for key, future in futures.items()}


@pytest.mark.parametrize("command", ["serve", "search"])
@pytest.mark.parametrize("fault", FAULTS)
def test_a_damaged_index_is_refused_with_one_sentence(outcomes, fault: str, command: str) -> None:
    outcome = outcomes[(fault, command)]
    assert outcome.returncode != 0, outcome.output
    assert "Traceback" not in outcome.output, outcome.output
    prefix = "cited cannot serve: " if command == "serve" else "cited search: "
    lines = [line for line in outcome.output.splitlines() if prefix in line]
    assert len(lines) == 1, outcome.output
    sentence = lines[0].split(prefix, 1)[1]
    for fragment in FAULTS[fault].says:
        assert fragment in sentence, sentence
    assert f"cited build --index {outcome.index}" in sentence, sentence  # the fix
    if command == "search":
        assert outcome.returncode == 2
        assert outcome.output.strip() == lines[0]  # nothing but the sentence


def test_the_undamaged_copy_serves_and_searches(small_index: Path, tmp_path: Path) -> None:
    """The control: the same copy without a fault is accepted by the same command."""
    index = tmp_path / "index"
    shutil.copytree(small_index.resolve(), index)
    code, output = _run([str(CITED), "search", "--index", str(index), "Who funds the project?"], os.environ | HASHING)
    assert code == 0 and "Blue Heron Trust" in output, output
