"""`cited sync` and `cited remove`: one line per kind of change, a second sync that does nothing, and mistakes
answered in one sentence with the index unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from index.build import build_index
from index.embed import HashingEmbedder
from index.load import load_index


@pytest.fixture()
def folders(tmp_path: Path) -> tuple[Path, Path]:
    root, index = tmp_path / "docs", tmp_path / "index"
    (root / "hr").mkdir(parents=True)
    (root / "hr" / "leave.md").write_text("# Leave\n\nEvery employee receives 27 days of annual leave.\n", encoding="utf-8")
    (root / "deploy.md").write_text("# Deploy\n\nDeployments run every Tuesday from the release branch.\n", encoding="utf-8")
    build_index([root], index, HashingEmbedder(), progress=False)
    return root, index


def sources(index: Path) -> list[str]:
    loaded = load_index(index)
    try:
        return sorted(d.source.rsplit("docs/", 1)[-1] for d in loaded.store.documents())
    finally:
        loaded.close()


def test_sync_prints_a_line_per_kind_and_a_second_run_does_nothing(folders, capsys: pytest.CaptureFixture[str]) -> None:
    root, index = folders
    (root / "deploy.md").unlink()
    (root / "oncall.md").write_text("# Oncall\n\nThe oncall rotation changes every Monday.\n", encoding="utf-8")
    assert main(["sync", str(root), "--index", str(index)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == ["added      1 documents (1 passages)", "replaced   0 documents (0 passages)",
                         "removed    1 documents", "unchanged  1 files"]
    assert lines[4].endswith("now holds 2 passages")
    published = index.resolve()
    assert main(["sync", str(root), "--index", str(index)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("is unchanged") and index.resolve() == published
    assert sources(index) == ["hr/leave.md", "oncall.md"]


def test_remove_takes_ids_files_and_folders(folders, capsys: pytest.CaptureFixture[str]) -> None:
    root, index = folders
    assert main(["remove", str(root / "hr"), "--index", str(index)]) == 0
    assert capsys.readouterr().out.startswith("removed    1 documents")
    assert sources(index) == ["deploy.md"]
    loaded = load_index(index)
    doc_id = next(iter(loaded.store.documents())).doc_id
    loaded.close()
    assert main(["remove", doc_id, "--index", str(index)]) == 0
    assert sources(index) == []


def test_a_remove_that_names_nothing_changes_nothing(folders, capsys: pytest.CaptureFixture[str]) -> None:
    root, index = folders
    before = index.resolve()
    assert main(["remove", str(root / "deploy.md"), "d-0000000000000000", "--index", str(index)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("cited remove: no document has the id or comes from the file or folder d-0000000000000000")
    assert "Traceback" not in error and index.resolve() == before and len(sources(index)) == 2
    assert main(["sync", str(root / "nowhere"), "--index", str(index)]) == 2
    assert "no file or folder" in capsys.readouterr().err


def test_sync_into_an_empty_folder_builds_the_index(folders, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = folders
    fresh = tmp_path / "fresh" / "index"
    assert main(["sync", str(root), "--index", str(fresh), "--model", "hashing-bow"]) == 0
    assert capsys.readouterr().out.startswith("added      2 documents (2 passages)")
    assert sources(fresh) == ["deploy.md", "hr/leave.md"]
