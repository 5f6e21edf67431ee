"""Fixtures for the corpus tests; the helpers behind them are in corpus_helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_helpers import MixedFolder, make_mixed_folder


@pytest.fixture
def mixed_folder(tmp_path: Path) -> MixedFolder:
    """A folder with one readable file of each format and several that cannot be read."""
    return make_mixed_folder(tmp_path)
