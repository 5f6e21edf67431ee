"""A collection with public/ and hr/ documents sharing one sentence, and keys of every kind over it, for the tests
of access control (tests/service/test_access*.py, tests/web/test_access_browser.py).

Imported by name (`from access_helpers import ...`): tests/ is on sys.path through its conftest.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.build import build_index
from index.embed import HashingEmbedder
from service.keys import add_key

SHARED = "Every employee receives twenty-eight days of paid holiday each calendar year, booked through the staff portal."
PUBLIC_ONLY = "The office on Quay Street opens at eight in the morning and closes at six in the evening."
SALARY = "The salary band for senior engineers rises to ninety-two thousand euros from the first of April."
DISMISSAL = "The disciplinary panel dismissed the warehouse supervisor in March after repeated safety breaches."
# Sorted, hr/ comes first: the shared sentence is kept in hr/salaries.md and public/handbook.md holds its duplicate,
# the hard case (a visible copy of a passage stored under an invisible document).
DOCUMENTS = {
    "public/handbook.md": f"# Staff handbook\n\n## Holidays\n\n{SHARED}\n\n## Office\n\n{PUBLIC_ONLY}\n",
    "hr/salaries.md": f"# Salary review\n\n## Bands\n\n{SALARY}\n\n## Leave\n\n{SHARED}\n",
    "hr/dismissals.md": f"# Disciplinary notes\n\n## Warehouse\n\n{DISMISSAL}\n",
}
# name: (scopes, sources)
KEYS: dict[str, tuple[list[str], list[str] | None]] = {
    "everything": (["read"], None),
    "public": (["read"], ["*public/*"]),
    "hr": (["read"], ["*hr/*"]),
    "editor": (["read", "write"], ["*public/*"]),
    "writer": (["write"], None),
    "ops": (["admin"], None),
}


@dataclass(frozen=True)
class AccessSetup:
    corpus: Path
    index: Path
    keys_file: Path
    keys: dict[str, str]  # name -> the key itself


def build_access_setup(root: Path) -> AccessSetup:
    corpus = root / "corpus"
    for name, text in DOCUMENTS.items():
        path = corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    index = root / "index"
    build_index([corpus], index, HashingEmbedder(), progress=False)
    keys_file = root / "keys.toml"
    keys = {name: add_key(keys_file, name, scopes, sources)[1] for name, (scopes, sources) in KEYS.items()}
    return AccessSetup(corpus, index, keys_file, keys)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
