"""`cited bench` arguments become one BenchOptions; mistakes in them are one-line errors before any suite runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.bench import BenchOptions, bench_options
from cli.common import UserError
from cli.main import build_parser, main
from eval.bench import SUITES, BenchError


def _options(*argv: str) -> BenchOptions:
    return bench_options(build_parser().parse_args(["bench", *argv]))


def test_defaults_are_the_dataclass_defaults() -> None:
    assert _options() == BenchOptions(suites=SUITES)
    assert _options("all", "encode") == BenchOptions(suites=SUITES)


def test_arguments_are_converted() -> None:
    options = _options(
        "search", "encode", "--concurrency", "1,4", "--sizes", "1e4,20000", "--data", "clustered",
        "--server-env", "CITED_TORCH_THREADS=1", "--server-env", "X=a=b", "--json", "out/b.json", "--rebuild",
    )
    assert options.suites == ("encode", "search")  # in SUITES order
    assert options.concurrency == (1, 4) and options.sizes == (10_000, 20_000) and options.data == ("clustered",)
    assert options.server_env == {"CITED_TORCH_THREADS": "1", "X": "a=b"}
    assert options.json == Path("out/b.json") and options.rebuild


def test_the_backend_asked_for_is_the_one_benchmarked() -> None:
    assert _options("--backend", "onnx-int8").server_env == {"CITED_BACKEND": "onnx-int8"}
    # --server-env says what the servers run, when it says
    assert _options("--backend", "torch", "--server-env", "CITED_BACKEND=onnx").server_env == {"CITED_BACKEND": "onnx"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["speed"], "unknown suite 'speed'; choose from: encode, "),
        (["--concurrency", "1,many"], "--concurrency must be a comma-separated list of numbers, not '1,many'"),
        (["--sizes", "0"], "--sizes must list numbers of at least 1"),
        (["--server-env", "CITED_TORCH_THREADS"], "--server-env takes NAME=VALUE, not 'CITED_TORCH_THREADS'"),
    ],
)
def test_mistakes_are_user_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises((UserError, BenchError), match=message):
        _options(*argv)
    assert main(["bench", *argv]) == 2
    assert capsys.readouterr().err.startswith(f"cited bench: {message}")
