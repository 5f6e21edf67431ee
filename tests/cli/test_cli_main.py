"""`cited` itself: defaults from the one Settings, the shared question limit, one-line errors, and no package
importing the command line. No model and no index are needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli import documents
from cli.main import build_parser, main, settings_for
from index.embed import MODEL_NAME
from service.validation import MAX_QUESTION_CHARS

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_come_from_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CITED_INDEX_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("CITED_MODEL", "hashing-bow")
    settings = settings_for(build_parser().parse_args(["build"]))
    assert settings.index_dir == tmp_path / "from-env" and settings.model == "hashing-bow"
    given = settings_for(build_parser().parse_args(["build", "--index", str(tmp_path / "given"), "--model", MODEL_NAME]))
    assert given.index_dir == tmp_path / "given" and given.model == MODEL_NAME


def test_search_options_reach_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CITED_EF_SEARCH", raising=False)
    settings = settings_for(build_parser().parse_args(["search", "--ef-search", "32", "bees"]))
    assert settings.ef_search == 32 and settings.nprobe is None


@pytest.mark.parametrize("command", ["search", "ask"])
def test_the_question_limit_is_the_service_limit(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Checked before the index is opened, so no index is needed.
    assert main([command, "--index", str(tmp_path / "none"), "x" * (MAX_QUESTION_CHARS + 1)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cited {command}: ") and f"at most {MAX_QUESTION_CHARS:,}" in err
    assert main([command, "--index", str(tmp_path / "none"), "   "]) == 2
    assert "the question is empty" in capsys.readouterr().err


def test_an_invalid_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CITED_PORT", "99999")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cited serve: the setting port (CITED_PORT) is not valid") and "\n" not in err


def test_an_unknown_model_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--index", str(tmp_path / "index"), "--model", "no-such-model"]) == 2
    assert "unknown embedding model 'no-such-model'" in capsys.readouterr().err
    assert not (tmp_path / "index").exists()


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*_: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(documents, "passages", interrupted)
    assert main(["passages"]) == 130
    assert capsys.readouterr().err == "cited passages: interrupted\n"


def test_no_package_imports_the_command_line() -> None:
    """cli/ imports the packages, never the other way round (no cycle, nothing hidden from tools)."""
    pattern = re.compile(r"^\s*(from cli[. ]|import cli\b)", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("corpus", "index", "service", "eval", "web")
        for path in (ROOT / package).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
