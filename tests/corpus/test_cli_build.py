"""`cited build` and `cited passages` through cli.main.main, with the fake embedder except where marked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from corpus_helpers import DEFAULT_CORPUS, MixedFolder

from cli.main import main
from corpus.store import PassageStore

FAKE = ["--model", "hashing-bow", "-q"]
PASSAGE_FIELDS = {"passage_id", "doc_id", "text", "start", "end", "context", "title", "source", "page"}
SPOTLIGHT_LEAD_IN = "The following examples highlight strengthened inter-agency collaboration across Spotlight programmes:"


def _report(out: str) -> dict[str, str]:
    """The report's `name   value` lines as a dict."""
    return {m.group(1): m.group(2) for m in re.finditer(r"(?m)^([a-z][a-z ]+?) {2,}(\S.*)$", out)}


def _passages(index: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    assert main(["passages", "--index", str(index), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _one_line_error(capsys: pytest.CaptureFixture[str], command: str) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith(f"cited {command}: ")
    assert "\n" not in err and "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def default_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    index = tmp_path_factory.mktemp("cli") / "index"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["build", str(DEFAULT_CORPUS), "--index", str(index), *FAKE]) == 0
    return index, out.getvalue()


def test_build_prints_the_report(default_index: tuple[Path, str]) -> None:
    index, out = default_index
    report = _report(out)
    assert report["documents read"] == "1"
    assert report["blocks"] == "56"
    assert report["exact duplicates"] == "28"
    assert report["near duplicates"] == "0"
    assert report["passages kept"] == "28"
    assert report["files skipped"] == "0"
    assert report["index"].startswith(f"{index} (28 passages, ")
    assert "hashing-bow" in report["index"]


def test_passages_json_lists_every_passage_with_its_fields(
    default_index: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    index, _ = default_index
    items = _passages(index, capsys)
    assert len(items) == 28
    for item in items:
        assert PASSAGE_FIELDS <= set(item)
        assert "view more" not in str(item["text"]).casefold()
    store = PassageStore.open(index / "store.sqlite")
    try:
        for item in items:
            doc = store.document(str(item["doc_id"]))
            assert doc is not None and doc.text[int(item["start"]) : int(item["end"])] == item["text"]  # type: ignore[call-overload]
    finally:
        store.close()
    bullets = [i for i in items if i["context"] == SPOTLIGHT_LEAD_IN]
    assert len(bullets) == 6
    assert len({i["passage_id"] for i in items}) == 28


def test_passages_without_json_prints_one_entry_per_passage(
    default_index: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    index, _ = default_index
    assert main(["passages", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"(?m)^p-[0-9a-f]{16}  \d+-\d+", out)) == 28


def test_build_of_a_mixed_folder_names_the_skipped_files(
    mixed_folder: MixedFolder, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    index = tmp_path / "index"
    assert main(["build", str(mixed_folder.root), "--index", str(index), *FAKE]) == 0
    captured = capsys.readouterr()
    assert _report(captured.out)["files skipped"] == str(len(mixed_folder.corrupt))
    skipped_lines = [line for line in captured.out.splitlines() if line.startswith("  skipped ")]
    for name in mixed_folder.corrupt:
        assert any(name in line for line in skipped_lines), name
        assert any(name in r.getMessage() for r in caplog.records if r.levelname == "WARNING"), name
    items = _passages(index, capsys)
    pages = {i["page"] for i in items if str(i["source"]).endswith("report.pdf")}
    assert pages == {1, 2, 3}
    assert all(i["page"] is None for i in items if not str(i["source"]).endswith(".pdf"))


def test_build_takes_extra_cleaning_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(
        "Donate now\nClick hereThe agency opened four offices in the region last year.\n", encoding="utf-8"
    )
    index = tmp_path / "index"
    args = ["build", str(docs), "--index", str(index), "--nav-line", "Donate now", "--ui-phrase", "click here", *FAKE]
    assert main(args) == 0
    capsys.readouterr()
    assert [i["text"] for i in _passages(index, capsys)] == ["The agency opened four offices in the region last year."]


def test_build_of_a_path_that_does_not_exist_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(tmp_path / "nowhere"), "--index", str(tmp_path / "index"), *FAKE]) == 2
    _one_line_error(capsys, "build")
    assert not (tmp_path / "index").exists()


@pytest.mark.parametrize("contents", [{}, {"empty.txt": b"", "nav.txt": b"Search\nMenu\n", "x.pdf": b"garbage"}])
def test_build_of_a_folder_without_documents_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contents: dict[str, bytes]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, data in contents.items():
        (docs / name).write_bytes(data)
    assert main(["build", str(docs), "--index", str(tmp_path / "index"), *FAKE]) == 2
    assert "nothing to index" in _one_line_error(capsys, "build")


def test_passages_of_a_missing_index_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["passages", "--index", str(tmp_path / "none"), "--json"]) == 2
    _one_line_error(capsys, "passages")


@pytest.mark.slow
def test_build_with_the_real_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "index"
    assert main(["build", str(DEFAULT_CORPUS), "--index", str(index), "-q"]) == 0
    report = _report(capsys.readouterr().out)
    assert report["passages kept"] == "28"
    assert "all-MiniLM-L6-v2" in report["index"]
    items = _passages(index, capsys)
    assert len(items) == 28 and all(PASSAGE_FIELDS <= set(i) for i in items)


def test_build_names_its_phases_as_it_goes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = tmp_path / "index"
    assert main(["build", str(DEFAULT_CORPUS), "--index", str(index), "--model", "hashing-bow"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("build [")]
    phases = [re.sub(r"^build \[\s*[\d.]+ s\] (\w+).*$", r"\1", line) for line in lines]
    assert list(dict.fromkeys(phases)) == ["load", "clean", "dedup", "embed", "index", "publish"]
    assert lines[0].endswith("] load")  # named before any document is read
    assert lines[phases.index("embed")].endswith("0/28 passages")
    assert any(line.endswith("embed 28/28 passages") for line in lines)


def test_a_quiet_build_shows_no_phases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(DEFAULT_CORPUS), "--index", str(tmp_path / "index"), *FAKE]) == 0
    assert "build [" not in capsys.readouterr().err
