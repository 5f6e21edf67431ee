"""The model alone, as a process: loads the bundled sentence-transformers model and encodes once, printing
"loaded" and "encoded" as it gets there; with an argument, also its /proc/self/status (memory) at the end.
The memory and coldstart suites time and measure it beside `cited serve`.

    python -m eval.bench.bare_model [status]
"""

import os
import sys


def main(argv: list[str]) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    from index.embed import bundled_model_path

    model = SentenceTransformer(bundled_model_path(), device="cpu")
    print("loaded", flush=True)
    model.encode(["warm up"])
    print("encoded", flush=True)
    if argv:
        with open("/proc/self/status") as status:
            print(status.read(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
