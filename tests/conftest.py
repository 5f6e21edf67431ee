"""Shared fixtures: a tiny index built with the fake encoder, the bundled corpus built with the real model,
a TestClient over each, and the real server plus Chromium for the browser tests."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.build import build_index
from index.embed import HashingEmbedder
from index.engine import Engine
from service.app import create_app
from service.launcher import Server, ServerError, cited_command
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = ROOT / "corpus" / "data"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"

# A tiny corpus in two documents: distinctive facts, a duplicate-free layout, and markup-looking text.
SMALL_CORPUS = {
    "river-project.md": """# The Lantern River Project

## Partners

The Lantern River Project is co-chaired by the Blue Heron Trust and the Office for Water Safety (OWS). It brings together 14 partner organisations across three provinces.

## Results

In 2023 the project rebuilt 42 footbridges and trained 310 volunteer wardens. Wardens patrol the river banks during the flood season, which runs from March to June.

## Funding

The project's annual budget of 2.4 million euros is provided by the Blue Heron Trust. Smaller grants come from local councils.
""",
    "orchard-study.md": """# Orchard Pollination Study

## Method

The Orchard Pollination Study counted bees in 60 apple orchards over two summers. Observers recorded visits per blossom at dawn, noon and dusk.

## Findings

Orchards bordered by wildflower strips received twice as many bee visits. The effect was strongest at dawn, when temperatures were below 15 degrees.

## Notes on markup

Some sources quote tags such as <script>alert(1)</script> and ampersands like R&D & <b>bold</b> literally; they are plain text here.
""",
}


# Documents written to attack the pages or the build. A payload that ran would raise a dialog, retitle the
# page to "pwned", or add an element with id "injected"; the browser test looks for each of these.
INJECT = "<script>document.title='pwned';document.body.append(Object.assign(document.createElement('b'),{id:'injected'}))</script>"
HOSTILE_DOCS: dict[str, str | bytes] = {
    "script.md": (
        f"# {INJECT}Harbour notes\n\n"
        f"The harbour master logs every {INJECT} arrival at dawn. An <img id=injected src=x onerror=\"alert('img')\"> tag "
        "and <svg onload=alert('svg')></svg> stay text.\n\n"
        "Click <a id=injected href=\"javascript:alert('link')\">here</a> for the harbour tide table of the lighthouse keeper.\n"
    ),
    "entities.html": (
        "<html><head><title>Entities &amp; &lt;script&gt;alert('title')&lt;/script&gt;</title></head><body><main>"
        "<h1>Granite quarry report</h1><p>The granite quarry ledger says &lt;script&gt;alert('entity')&lt;/script&gt; "
        "and R&amp;D &copy; 2024 &#60;iframe id=injected src=javascript:alert(1)&#62; plus &quot;quoted&quot; words "
        "about the quarry workers and their union.</p><p>The granite quarry safety rules require helmets and "
        "&#x3C;b id=injected onmouseover=alert(2)&#x3E;boots&#x3C;/b&#x3E; for every quarry worker.</p></main></body></html>"
    ),
    "bidi.txt": (
        "The caravan\u202e reversed text\u202c route crosses the desert oasis of \u05e9\u05dc\u05d5\u05dd and "
        "\u0645\u0631\u062d\u0628\u0627 near the salt flats.\n\n"
        "Zero\u200bwidth\u200d joiners\ufeff and\u2060 word joiners hide in the caravan ledger of camel drivers.\n"
    ),
    "<img id=injected src=x onerror=alert('name')>.md": (
        "# Orchard ledger\n\nThe orchard ledger counts apples picked by the night shift in the valley.\n"
    ),
    "empty.txt": b"",
    "binary.txt": bytes(range(256)) * 64,
}
HUGE_LINE_DOC = "huge-line.txt"  # 5 MB of words with no line break, written by `hostile_corpus`


@dataclass(frozen=True)
class HostileBuild:
    corpus: Path
    index: Path
    returncode: int
    stdout: str
    stderr: str


# Requests sent by the HTTP fuzzers (schemathesis, hypothesis) and how many of them were answered 5xx,
# per suite; printed at the end of the run and written to test-artifacts/fuzz-summary.json.
FUZZ_TALLY = pytest.StashKey[dict[str, dict[str, int]]]()


@pytest.fixture(scope="session")
def fuzz_tally(request: pytest.FixtureRequest) -> Callable[[str, int], None]:
    """`fuzz_tally(suite, status)` counts one fuzzed request and whether it was a server error."""
    tally = request.config.stash.setdefault(FUZZ_TALLY, {})

    def record(suite: str, status: int) -> None:
        counts = tally.setdefault(suite, {"requests": 0, "5xx": 0})
        counts["requests"] += 1
        counts["5xx"] += status >= 500

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config) -> None:
    tally = config.stash.get(FUZZ_TALLY, {})
    if not tally:
        return
    terminalreporter.section("fuzzing")
    for suite, counts in sorted(tally.items()):
        terminalreporter.write_line(f"{suite:<40} {counts['requests']:>6} requests  {counts['5xx']} answered 5xx")
    total = {key: sum(c[key] for c in tally.values()) for key in ("requests", "5xx")}
    terminalreporter.write_line(f"{'all fuzzers':<40} {total['requests']:>6} requests  {total['5xx']} answered 5xx")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "fuzz-summary.json").write_text(json.dumps({"suites": tally, "total": total}, indent=1))


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small-corpus")
    for name, text in SMALL_CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def small_index(small_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of SMALL_CORPUS built with the deterministic hashing encoder: no model, built in well under a second."""
    index_dir = tmp_path_factory.mktemp("small-index") / "index"
    build_index([small_corpus], index_dir, HashingEmbedder(), progress=False)
    return index_dir


@pytest.fixture(scope="session")
def small_engine(small_index: Path) -> Iterator[Engine]:
    engine = Engine.open(small_index)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def client(small_index: Path, small_engine: Engine) -> Iterator[TestClient]:
    """A TestClient over the app with the small index injected (the lifespan does not load anything)."""
    app = create_app(Settings(index_dir=small_index), engine=small_engine)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> HostileBuild:
    """HOSTILE_DOCS and a 5 MB single-line document, indexed by `cited build --model hashing-bow` in a subprocess."""
    import random

    folder = tmp_path_factory.mktemp("hostile") / "docs"
    folder.mkdir()
    for name, content in HOSTILE_DOCS.items():
        path = folder / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    rng = random.Random(5)
    words = [f"lexeme{i}" for i in range(3000)] + ["the", "of", "and", "a"]
    line = " ".join(rng.choice(words) for _ in range(5 * 1024 * 1024 // 9))
    (folder / HUGE_LINE_DOC).write_text(line + " The end of the very long line.", encoding="utf-8")
    index = folder.parent / "index"
    run = subprocess.run(
        [*cited_command(), "build", str(folder), "--index", str(index), "--model", "hashing-bow", "-q"],
        capture_output=True, text=True, timeout=300,
    )
    return HostileBuild(folder, index, run.returncode, run.stdout, run.stderr)


@pytest.fixture(scope="session")
def default_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus built with the real model (all-MiniLM-L6-v2); use it only from @pytest.mark.slow tests."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from index.embed import SentenceTransformerEmbedder

    index_dir = tmp_path_factory.mktemp("default-index") / "index"
    build_index([BUNDLED_CORPUS], index_dir, SentenceTransformerEmbedder(), progress=False)
    return index_dir


@pytest.fixture(scope="session")
def default_engine(default_index: Path) -> Iterator[Engine]:
    engine = Engine.open(default_index)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def default_client(default_index: Path, default_engine: Engine) -> Iterator[TestClient]:
    app = create_app(Settings(index_dir=default_index), engine=default_engine)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


# -- the real server and the browser -------------------------------------------------------------


def _start(index_dir: Path, name: str, *, host: str | None = "127.0.0.1", env: Mapping[str, str | None] | None = None) -> Server:
    """`cited serve` through service.launcher, logging to test-artifacts/NAME.log; a failed start fails the test."""
    ARTIFACTS.mkdir(exist_ok=True)
    server = Server(index_dir, env=env, host=host, log=ARTIFACTS / f"{name}.log", start_timeout_s=120, stop_timeout_s=15)
    try:
        return server.start()
    except ServerError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def live_server(default_index: Path) -> Iterator[str]:
    """`cited serve` as a subprocess on a free port, over the model-built index; yields its base URL."""
    server = _start(default_index, "server")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[..., Server]]:
    """A factory: `start_server(index_dir, env={...}, name=...)` runs `cited serve` on a free loopback port
    (binding the default address: no --host, no CITED_HOST) and waits for /healthz; every server is stopped at
    the end. The server's `url` is its base URL."""
    started: list[Server] = []

    def start(index_dir: Path, *, env: dict[str, str] | None = None, name: str = "server") -> Server:
        server = _start(index_dir, name, host=None, env={"CITED_HOST": None, **(env or {})})
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, or a skip with the reason; with CITED_REQUIRE_BROWSER=1 (CI) a missing browser fails."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed (pip install -e '.[dev]')"
    if problem:
        if os.environ.get("CITED_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required (CITED_REQUIRE_BROWSER=1) but {problem}")
        pytest.skip(f"browser tests skipped: {problem}")
    return CHROMIUM


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[None]:
    """A local Ray cluster of two worker nodes declaring one CPU each (the machine's two cores), for the tests
    marked `ray`; started once, stopped at the end of the session."""
    pytest.importorskip("ray")
    from index.cluster import ClusterSpec, connected

    with connected(ClusterSpec(local=2)):
        yield
