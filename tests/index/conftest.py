"""An index with a lead-in list and an acronym, built with the hashing encoder (no model)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.build import build_index
from index.embed import HashingEmbedder
from index.engine import Engine

LIST_DOC = """# Harbour Safety Programme

The Coastal Rescue Coordination Board (CRCB) oversees harbour safety in the region.

In 2024 the board reached several milestones. The following milestones were met in 2024:

- Lifeguard towers were installed on nine beaches in the northern district.
- Radio coverage was extended to every fishing harbour on the western shore.
- A volunteer boat crew was trained in each of the four island villages.

Separately, the board publishes an annual report on drowning prevention each spring.
"""


@pytest.fixture()
def list_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "harbour.md").write_text(LIST_DOC, encoding="utf-8")
    return folder


@pytest.fixture()
def list_engine(list_corpus: Path, tmp_path: Path) -> Iterator[Engine]:
    index_dir = tmp_path / "index"
    build_index([list_corpus], index_dir, HashingEmbedder(), progress=False)
    engine = Engine.open(index_dir)
    yield engine
    engine.close()
