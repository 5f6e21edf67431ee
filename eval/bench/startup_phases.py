"""The steps of `cited serve`'s start-up, done in order in one process and timed one by one; prints one JSON
object of phase -> seconds. The coldstart suite runs it.

    python -m eval.bench.startup_phases INDEX
"""

import json
import os
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def main(index: Path) -> dict[str, float]:
    phases: dict[str, float] = {}
    last = STARTED

    def mark(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        phases[name], last = now - last, now

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import service.app  # noqa: F401 -- the import is the phase timed

    mark("import service.app (fastapi, uvicorn, faiss, numpy)")
    from index.load import load_index, model_for
    from index.manifest import CHECKED_FILES, sha256_of

    loaded = load_index(index)
    mark("load_index (checksums, store, faiss, sentences)")
    for name in CHECKED_FILES:
        sha256_of(index / name)
    mark("  of which: sha256 of every file (repeated alone)")
    embedder = model_for(loaded.manifest)
    embedder.warm_up()
    mark(f"model ({embedder.backend}): import + load")
    from index.engine import Engine

    engine = Engine(loaded, embedder)
    mark("Engine() (vocabulary from the FTS index)")
    engine.search(engine.query("warm up"), k=1)
    mark("warm-up search")
    return phases


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
