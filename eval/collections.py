"""Development collections beyond the bundled page: real documentation that Debian packages install, each
with a gold question set, so that constants are chosen on several kinds of corpus and not on one page.

    python -m eval.collections [NAME…] [--dest var/collections]

copies each collection's files (the same files, in the same order, on every machine with the package) into
DEST/NAME/docs and builds its index in DEST/NAME/index. Score one with
`cited eval --gold eval/gold/NAME.jsonl --index DEST/NAME/index`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from index.embed import BACKENDS, DEFAULT_BACKEND
from service.settings import load_settings

GOLD_DIR = Path(__file__).resolve().parent / "gold"
DEFAULT_DEST = Path("var/collections")


class CollectionError(ValueError):
    """A collection that cannot be materialised; the message says what to install or fix."""


@dataclass(frozen=True)
class Collection:
    name: str
    package: str  # the Debian package that installs the files
    root: str  # the folder the package installs them in
    include: tuple[str, ...]  # globs relative to root, expanded and sorted
    description: str
    exclude: tuple[str, ...] = ()

    @property
    def gold(self) -> Path:
        return GOLD_DIR / f"{self.name}.jsonl"

    def files(self) -> list[Path]:
        root = Path(self.root)
        if not root.is_dir():
            raise CollectionError(
                f"collection '{self.name}' needs the Debian package {self.package}: apt-get install {self.package}"
            )
        chosen = {p for pattern in self.include for p in root.glob(pattern) if p.is_file()}
        chosen -= {p for pattern in self.exclude for p in root.glob(pattern)}
        if not chosen:
            raise CollectionError(f"collection '{self.name}': no file under {root} matches {', '.join(self.include)}")
        return sorted(chosen)


# One entry per collection; each entry's files and gold set are documented in its description.
COLLECTIONS: dict[str, Collection] = {
    "postgresql": Collection(
        name="postgresql",
        package="postgresql-doc-15",
        root="/usr/share/doc/postgresql-doc-15/html",
        include=(
            "tutorial*.html",  # Part I: the tutorial
            "queries*.html", "dml*.html", "indexes*.html",  # SQL language: queries, data manipulation, indexes
            "mvcc*.html", "transaction-iso.html", "explicit-locking.html",  # concurrency control
            "applevel-consistency.html", "locking-indexes.html",
            "backup*.html", "continuous-archiving.html",  # server administration: backup and restore
            "maintenance.html", "routine-*.html", "logfile-maintenance.html",  # routine maintenance
            "monitoring.html", "monitoring-ps.html", "monitoring-locks.html",  # monitoring (not the stats views)
            "diskusage.html", "disk-usage.html", "disk-full.html",
            "wal*.html",  # reliability and the write-ahead log
        ),
        exclude=("backup-manifest-*.html",),  # the manifest's JSON format: field reference, not prose
        description=(
            "PostgreSQL 15 manual (HTML from Debian's postgresql-doc-15), about 80 prose pages: the tutorial, "
            "the SQL chapters on queries, data manipulation, indexes and concurrency control, and the "
            "administration chapters on backup, routine maintenance, monitoring, disk usage and the WAL. "
            "Leaves out the SQL command reference, the function tables and the statistics-view tables. "
            "Its HTML pages carry navigation headers and footers and DocBook inline markup (literals, acronyms, "
            "product names). Gold set eval/gold/postgresql.jsonl: 74 questions, 18 of them near-topic "
            "unanswerables (default values and release history that these pages never give)."
        ),
    ),
}

COLLECTIONS["debian-handbook"] = Collection(
    name="debian-handbook",
    package="debian-handbook",
    root="/usr/share/doc/debian-handbook/html/en-US",
    include=("*.html",),
    # No prose about Debian: the table of contents, and the front and back matter about the book itself.
    exclude=(
        "index.html",
        "foreword.html",
        "sect.acknowledgments.html",
        "sect.book-structure.html",
        "sect.who-is-this-book-for.html",
        "sect.selected-approach.html",
        "sect.future-of-this-book.html",
    ),
    description=(
        "The Debian Administrator's Handbook (English HTML, one page per chapter or section, 120 files): long "
        "technical prose with commands, configuration excerpts and tables about installing and running Debian "
        "(APT/dpkg, networking, services, security, virtualisation, packaging, the Debian project). Gold set: "
        "factoid, paraphrase, acronym, context, list and follow-up questions, and near-topic unanswerables asking "
        "for figures, names or dates the handbook never gives (sidebars included). Evidence comes from the main "
        "text only: the HTML loader currently drops the handbook's sidebar boxes (CULTURE, TOOL, NOTE, ...)."
    ),
)

COLLECTIONS["python-howto"] = Collection(
    name="python-howto",
    package="python3.11-doc",
    root="/usr/share/doc/python3.11/html/_sources",
    include=(
        "howto/*.rst.txt",
        "tutorial/*.rst.txt",
        "faq/*.rst.txt",
        "using/cmdline.rst.txt",
        "using/editors.rst.txt",
        "using/mac.rst.txt",
        "using/unix.rst.txt",
        "using/windows.rst.txt",
        "installing/index.rst.txt",
        "distributing/index.rst.txt",
        "reference/executionmodel.rst.txt",
        "whatsnew/3.11.rst.txt",
    ),
    exclude=("howto/index.rst.txt", "tutorial/index.rst.txt", "faq/index.rst.txt"),
    description=(
        "The Python 3.11 documentation's long-form prose as plain reStructuredText text files (Sphinx's "
        "_sources/*.rst.txt): the HOWTOs, the tutorial, the FAQs, the setup-and-usage pages, installing and "
        "distributing, the execution model and What's New in 3.11 -- 52 files, 1.4 MB, with directive, role and "
        "label markup left in, and titles under over/underlines after a label line rather than on the first line. "
        "Stands in for collections of long essays; the library reference (mostly API listings) is left out. "
        "Gold: eval/gold/python-howto.jsonl, 75 questions, 18 of them near-topic unanswerables (figures, names and "
        "dates about Python that these pages never give)."
    ),
)


def materialise(collection: Collection, dest: Path) -> list[Path]:
    """Copy the collection's files into `dest` (emptied first), keeping their paths relative to the root."""
    root = Path(collection.root)
    if dest.exists():
        shutil.rmtree(dest)
    copied = []
    for source in collection.files():
        target = dest / source.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied.append(target)
    return copied


def build(collection: Collection, dest: Path, backend: str = DEFAULT_BACKEND) -> Path:
    """Materialise the collection under `dest/NAME` and build its index there, its vectors made by `backend`;
    returns the index folder."""
    from index.build import build_index
    from index.embed import MODEL_NAME, embedder_for

    docs = materialise(collection, dest / collection.name / "docs")
    index_dir = dest / collection.name / "index"
    build_index([dest / collection.name / "docs"], index_dir, embedder_for(MODEL_NAME, backend), progress=True)
    print(f"{collection.name}: {len(docs)} files -> {index_dir}")
    return index_dir


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.collections", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"collections to build (default all: {', '.join(COLLECTIONS)})")
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    # Each backend's vectors need their own indexes to be evaluated (index/embed.py vector_family).
    parser.add_argument("--backend", choices=BACKENDS, default=None, help="how the model runs (default onnx, env CITED_BACKEND)")
    args = parser.parse_args(argv)
    try:
        backend = args.backend or load_settings().backend
        for name in args.names or list(COLLECTIONS):
            if name not in COLLECTIONS:
                raise CollectionError(f"unknown collection '{name}'; choose one of: {', '.join(COLLECTIONS)}")
            build(COLLECTIONS[name], args.dest, backend)
    except (CollectionError, ValueError) as exc:
        print(f"eval.collections: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
