"""Publishing an index folder atomically: `DIR` is a symbolic link to a complete build in `DIR.builds/`; a new
build is written in a staging folder beside it and swapped in with one rename, so a reader sees the old index
or the new one, never a mixture, and an interrupted build leaves no half index."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from index.manifest import IndexFolderError

OWNER = "owner.pid"
# How long a writer waits for another to finish before it gives up with a sentence.
WRITER_WAIT_S = 600.0


@contextmanager
def writer_lock(index_dir: Path, wait_s: float = WRITER_WAIT_S) -> Iterator[None]:
    """Hold the index's writer lock (flock on `DIR.lock` beside it) for the block: builds, adds, syncs, uploads and
    removals run one at a time, so none builds on a state another is replacing or removes its staging folder. The
    kernel releases the lock when its holder dies, even by SIGKILL."""
    path = index_dir.parent / f"{index_dir.name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexFolderError(
                        f"another writer has been changing the index at {index_dir} for over {wait_s:.0f} s; "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def staged(index_dir: Path) -> Iterator[Path]:
    """A fresh staging folder for a build of `index_dir`, owned by this process; removed if the block fails.
    The block publishes it with `publish` when it is complete."""
    clean_stale_builds(index_dir)
    staging = _staging(index_dir)
    (staging / OWNER).write_text(str(os.getpid()))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _staging(index_dir: Path) -> Path:
    builds = index_dir.parent / f"{index_dir.name}.builds"
    builds.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    staging = builds / f"{stamp}-{uuid.uuid4().hex[:8]}.partial"
    staging.mkdir()
    return staging


def publish(staging: Path, index_dir: Path) -> None:
    """Point `index_dir` at the finished build in one atomic rename; drop older builds."""
    (staging / OWNER).unlink(missing_ok=True)
    final = staging.with_suffix("")
    staging.rename(final)
    builds = final.parent
    if index_dir.exists() and not index_dir.is_symlink():
        # An index folder from before builds were versioned: keep it as a build of its own.
        index_dir.rename(builds / f"legacy-{uuid.uuid4().hex[:8]}")
    link = index_dir.parent / f".{index_dir.name}.link-{uuid.uuid4().hex[:8]}"
    link.symlink_to(os.path.relpath(final, index_dir.parent))
    os.replace(link, index_dir)
    for old in builds.iterdir():
        if old != final and not old.name.endswith(".partial"):
            shutil.rmtree(old, ignore_errors=True)


def clean_stale_builds(index_dir: Path, older_than_s: float = 0.0) -> None:
    """Remove builds left half-written by an interrupted process (they never became the index)."""
    builds = index_dir.parent / f"{index_dir.name}.builds"
    if not builds.is_dir():
        return
    now = time.time()
    for partial in builds.glob("*.partial"):
        if now - partial.stat().st_mtime >= older_than_s and not _owned_by_live_process(partial):
            shutil.rmtree(partial, ignore_errors=True)


def _owned_by_live_process(partial: Path) -> bool:
    owner = partial / OWNER
    try:
        os.kill(int(owner.read_text()), 0)
    except (OSError, ValueError):
        return False
    return True
