"""The keys file of access control (CITED_KEYS_FILE): TOML entries holding a name, the SHA-256 digest of a key, its
scopes and the document sources it may see. The keys themselves are never stored, logged or echoed.

    [[key]]
    name = "hr-team"
    sha256 = "…"
    scopes = ["read"]
    sources = ["hr/*"]      # optional; absent: every document
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
import threading
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import tomli_w

log = logging.getLogger(__name__)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_DIGEST = re.compile(r"[0-9a-f]{64}")
_FIELDS = {"name", "sha256", "scopes", "sources"}
_HEADER = "# cited access keys: SHA-256 digests only. Rewritten by `cited keys add|remove`, which do not keep comments.\n"


class Scope(StrEnum):
    """What a key may do; scopes are independent (an admin key reads only if it also has `read`)."""

    READ = "read"  # search, ask, chat, the pages, passages and documents by id, the document list
    WRITE = "write"  # documents in and out
    ADMIN = "admin"  # reload, and whatever operates the service

    @classmethod
    def parse(cls, text: str) -> Scope:
        try:
            return cls(text)
        except ValueError:
            raise ValueError(f"unknown scope '{text}'; choose {', '.join(s.value for s in cls)}") from None


class KeysFileError(ValueError):
    """The keys file is missing, not TOML, or holds an entry that is not valid; the message says which and why."""


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """One key as the file describes it. `sources` None: every document; otherwise fnmatch globs on `source`."""

    name: str
    sha256: str
    scopes: frozenset[Scope]
    sources: tuple[str, ...] | None = None

    def as_toml(self) -> dict[str, object]:
        table: dict[str, object] = {"name": self.name, "sha256": self.sha256, "scopes": sorted(s.value for s in self.scopes)}
        if self.sources is not None:
            table["sources"] = list(self.sources)
        return table


def digest(key: str) -> str:
    """The hex SHA-256 of a key as sent (UTF-8): what the file stores and what a presented key is compared by."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def new_key() -> str:
    """A fresh key: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise KeysFileError(
            f"the key name '{name[:70]}' is not valid; use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def check_sources(sources: Sequence[str]) -> tuple[str, ...]:
    for glob in sources:
        if not isinstance(glob, str) or not glob.strip():
            raise KeysFileError("a source glob must be a non-empty string")
    return tuple(sources)


def _entry(table: object, at: int) -> KeyEntry:
    """One [[key]] table checked field by field, so that a typo never widens what a key may see."""
    where = f"entry {at} of the keys file"
    if not isinstance(table, dict):
        raise KeysFileError(f"{where} is not a table")
    unknown = sorted(set(table) - _FIELDS)
    if unknown:
        raise KeysFileError(f"{where} has the unknown field '{unknown[0]}'; the fields are {', '.join(sorted(_FIELDS))}")
    name, sha256, scopes = table.get("name"), table.get("sha256"), table.get("scopes")
    if not isinstance(name, str):
        raise KeysFileError(f"{where} has no name")
    where = f"the key '{name[:70]}' in the keys file"
    check_name(name)
    if not isinstance(sha256, str) or not _DIGEST.fullmatch(sha256):
        raise KeysFileError(f"{where} needs sha256, 64 lower-case hexadecimal digits")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
        raise KeysFileError(f"{where} needs scopes, a non-empty list of read, write, admin")
    try:
        parsed = frozenset(Scope.parse(s) for s in scopes)
    except ValueError as exc:
        raise KeysFileError(f"{where}: {exc}") from None
    sources = table.get("sources")
    if sources is not None and not isinstance(sources, list):
        raise KeysFileError(f"{where}: sources must be a list of globs")
    try:
        globs = None if sources is None else check_sources(sources)
    except KeysFileError as exc:
        raise KeysFileError(f"{where}: {exc}") from None
    return KeyEntry(name, sha256, parsed, globs)


def parse_keys(text: str) -> list[KeyEntry]:
    """The entries of a keys file's text; KeysFileError with a sentence for anything not valid."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KeysFileError(f"the keys file is not valid TOML ({exc})") from None
    unknown = sorted(set(document) - {"key"})
    if unknown:
        raise KeysFileError(f"the keys file has the unknown table '{unknown[0]}'; entries are [[key]] tables")
    tables = document.get("key", [])
    if not isinstance(tables, list):
        raise KeysFileError("the keys file's entries must be [[key]] tables")
    entries = [_entry(table, i) for i, table in enumerate(tables, 1)]
    for kind, values in (("name", [e.name for e in entries]), ("digest", [e.sha256 for e in entries])):
        repeated = next((v for v in values if values.count(v) > 1), None)
        if repeated is not None:
            shown = f" '{repeated}'" if kind == "name" else ""
            raise KeysFileError(f"the keys file holds the {kind}{shown} twice; each key must be unique")
    return entries


def read_keys(path: Path) -> list[KeyEntry]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeysFileError(f"the keys file {path} does not exist; create it with `cited keys add NAME --scope read`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeysFileError(f"the keys file {path} cannot be read ({exc.__class__.__name__})") from None
    return parse_keys(text)


# -- writing (`cited keys add|remove`) -----------------------------------------------------------


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[list[KeyEntry]]:
    """The file's entries, under an exclusive lock on a lock file beside it, so two `cited keys` never lose an edit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f".{path.name}.lock")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield read_keys(path) if path.exists() else []


def _write(path: Path, entries: Sequence[KeyEntry]) -> None:
    """Replace the file in one rename: a server re-reading it sees the old or the new file, never half of one."""
    text = _HEADER + "\n" + tomli_w.dumps({"key": [e.as_toml() for e in entries]})
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)  # digests only, but nobody else needs to read them
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def add_key(path: Path, name: str, scopes: Sequence[str], sources: Sequence[str] | None) -> tuple[KeyEntry, str]:
    """A new key named `name` added to the file: its entry, and the key itself, which exists nowhere else."""
    check_name(name)
    if not scopes:
        raise KeysFileError("give at least one --scope (read, write or admin)")
    parsed = frozenset(Scope.parse(s) for s in scopes)
    key = new_key()
    entry = KeyEntry(name, digest(key), parsed, None if sources is None else check_sources(sources))
    with _locked(path) as entries:
        if any(e.name == name for e in entries):
            raise KeysFileError(f"the keys file {path} already has a key named '{name}'; remove it first")
        _write(path, [*entries, entry])
    return entry, key


def remove_key(path: Path, name: str) -> KeyEntry:
    with _locked(path) as entries:
        found = next((e for e in entries if e.name == name), None)
        if found is None:
            raise KeysFileError(f"the keys file {path} has no key named '{name}'")
        _write(path, [e for e in entries if e is not found])
    return found


# -- reading while serving -----------------------------------------------------------------------


class KeyRing:
    """The keys file as the server sees it, read again when its modification time, size or inode changes.

    A file that stops being valid while serving is not half-trusted: every key is refused (`error` says why,
    for the log) until the file is fixed; the previous entries are dropped at once, so a removed key never
    lingers because of a typo elsewhere in the file.
    """

    def __init__(self, path: Path, extra: Sequence[KeyEntry] = ()) -> None:
        self.path = path
        self.extra = tuple(extra)  # keys that are not in the file (CITED_ADMIN_KEY)
        self._lock = threading.Lock()
        self._entries = tuple(read_keys(path)) + self.extra  # a file not valid at start-up stops the start
        self._stamp = self._stat()
        self.error: str | None = None

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size, info.st_ino

    def entries(self) -> tuple[KeyEntry, ...]:
        """The current entries; one stat() per call, a parse only when the file changed."""
        stamp = self._stat()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._reload(stamp)
        return self._entries

    def _reload(self, stamp: tuple[int, int, int] | None) -> None:
        try:
            entries = tuple(read_keys(self.path))
        except KeysFileError as exc:
            if self.error != str(exc):
                log.error("every key is refused until the keys file is fixed: %s", exc)
            self._entries, self.error = (), str(exc)
        else:
            self._entries, self.error = entries + self.extra, None
            log.warning("read the keys file %s again: %d keys", self.path, len(entries))
        self._stamp = stamp

    def find(self, key: str, among: Sequence[KeyEntry] | None = None) -> KeyEntry | None:
        """The entry of a presented key, compared by digest in constant time against every entry (of `among`, the
        `entries()` a caller already read for this request: one stat() per request, not one per lookup)."""
        wanted = digest(key)
        found = None
        for entry in self.entries() if among is None else among:
            if hmac.compare_digest(entry.sha256, wanted):  # no early exit: the time does not tell which entry matched
                found = entry
        return found

    def by_digest(self, sha256: str, among: Sequence[KeyEntry] | None = None) -> KeyEntry | None:
        """The entry of a logged-in session's key, if the key is still in the file (`among`: as for `find`)."""
        return next((e for e in (self.entries() if among is None else among) if hmac.compare_digest(e.sha256, sha256)), None)
