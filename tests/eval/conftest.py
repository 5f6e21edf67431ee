"""Fixtures of the eval tests: a tiny corpus with its gold questions, a tiny BEIR folder (both indexed with
the hashing encoder), and the bundled corpus indexed with the real model for the regression gate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.build import build_index
from index.embed import HashingEmbedder
from index.engine import Engine
from index.load import load_index

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_CORPUS = ROOT / "corpus" / "data"

# Two short documents with distinctive facts; each paragraph becomes one passage.
TINY_CORPUS = {
    "harbour.md": """# The Harbour Lights Programme

The Harbour Lights Programme is run by the Coastal Safety Board (CSB) together with the Fishers' Union.

In 2021 the programme installed 38 solar beacons along the northern breakwater.

The beacons are inspected every spring by volunteer divers from the Fishers' Union.
""",
    "orchard.md": """# Orchard Survey

The Orchard Survey counted 1,200 hives in 75 valley orchards during the summer of 2019.

Orchards next to wildflower meadows produced a third more apples than the others.
""",
}

TINY_GOLD = [
    {"id": "t1", "question": "How many solar beacons were installed on the breakwater?", "type": "factoid",
     "evidence": ["installed 38 solar beacons"], "split": "dev"},
    {"id": "t2", "question": "Who inspects the beacons every spring?", "type": "paraphrase",
     "evidence": ["inspected every spring by volunteer divers"], "split": "dev"},
    {"id": "t3", "question": "What does CSB stand for?", "type": "acronym",
     "evidence": ["Coastal Safety Board (CSB)"], "split": "heldout"},
    {"id": "t4", "question": "What did the Orchard Survey find about apples and wildflower meadows?", "type": "list",
     "all_of": [["wildflower meadows produced a third more apples"], ["counted 1,200 hives"]], "split": "dev"},
    {"id": "t5", "question": "Who won the 1998 chess olympiad?", "type": "unanswerable", "evidence": [], "split": "dev"},
    {"id": "t6", "question": "When were they installed?", "type": "followup", "history": ["Tell me about the solar beacons."],
     "evidence": ["installed 38 solar beacons"], "split": "heldout"},
]

# Ten BEIR documents. b7 repeats b3 word for word (the corpus keeps one passage that stands for both);
# b9 has two paragraphs, so two passages of one document.
BEIR_DOCS = [
    ("b0", "Lighthouse keepers", "The lighthouse keeper trims the lamp wick every evening before sunset."),
    ("b1", "Bread", "Sourdough bread rises slowly because wild yeast ferments the dough overnight."),
    ("b2", "Glaciers", "Glaciers carve U-shaped valleys as they grind over bedrock for thousands of years."),
    ("b3", "Tides", "Spring tides happen when the sun and the moon pull the ocean in the same direction."),
    ("b4", "Bees", "Honey bees dance in a figure of eight to tell the hive where flowers are."),
    ("b5", "Volcanoes", "Shield volcanoes have gentle slopes built from runny basalt lava flows."),
    ("b6", "Chess", "In chess the knight moves in an L shape and can jump over other pieces."),
    ("b7", "Tides again", "Spring tides happen when the sun and the moon pull the ocean in the same direction."),
    ("b8", "Owls", "Barn owls hunt at night and find mice by sound alone in complete darkness."),
    ("b9", "Rivers", "A river delta forms where a slow river drops its sediment into the sea.\n\n"
                     "Deltas such as the Nile delta are fertile farmland because of that sediment."),
]
BEIR_QUERIES = {
    "q1": "why do spring tides happen sun moon",
    "q2": "how do bees tell the hive where flowers are",
    "q3": "what is a river delta and why is its farmland fertile",
    "q4": "how does the knight move in chess",
}
BEIR_QRELS = [("q1", "b7", 2), ("q1", "b3", 1), ("q2", "b4", 2), ("q3", "b9", 2), ("q3", "b2", 1), ("q4", "b6", 1)]


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-corpus")
    for name, text in TINY_CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("tiny-index") / "index"
    build_index([folder], index_dir, HashingEmbedder(), progress=False)
    return index_dir


@pytest.fixture(scope="session")
def tiny_engine(tiny_index: Path) -> Iterator[Engine]:
    engine = Engine.open(tiny_index)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def tiny_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("gold") / "tiny.jsonl", TINY_GOLD)


def write_beir(folder: Path, header: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / "corpus.jsonl", [{"_id": i, "title": t, "text": x, "metadata": {}} for i, t, x in BEIR_DOCS])
    write_jsonl(folder / "queries.jsonl", [{"_id": q, "text": t, "metadata": {}} for q, t in BEIR_QUERIES.items()])
    (folder / "qrels").mkdir(exist_ok=True)
    lines = (["query-id\tcorpus-id\tscore"] if header else []) + [f"{q}\t{d}\t{s}" for q, d, s in BEIR_QRELS]
    (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_beir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_beir(tmp_path_factory.mktemp("beir") / "tiny-beir")


@pytest.fixture(scope="session")
def tiny_beir_index(tiny_beir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("beir-index") / "index"
    build_index([tiny_beir / "corpus.jsonl"], index_dir, HashingEmbedder(), progress=False)
    return index_dir


@pytest.fixture(scope="session")
def tiny_beir_engine(tiny_beir_index: Path) -> Iterator[Engine]:
    engine = Engine(load_index(tiny_beir_index), HashingEmbedder())
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def bundled_index(default_index: Path) -> Path:
    """The bundled corpus (corpus/data) indexed with all-MiniLM-L6-v2: the session's shared index (built once,
    in tests/conftest.py); slow tests only, and none of them writes to it."""
    return default_index
