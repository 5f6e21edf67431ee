"""The keys file: what `cited keys` writes, what the server accepts, and that a typo never widens a key's reach."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from service.keys import KeyRing, KeysFileError, Scope, add_key, digest, parse_keys, read_keys, remove_key
from service.launcher import cited_command

DIGEST = "a" * 64


def entry_text(**fields: str) -> str:
    body = {"name": '"hr-team"', "sha256": f'"{DIGEST}"', "scopes": '["read"]', **fields}
    return "[[key]]\n" + "".join(f"{name} = {value}\n" for name, value in body.items() if value)


def test_an_entry_reads_with_its_scopes_and_sources() -> None:
    (entry,) = parse_keys(entry_text(sources='["hr/*", "*/payroll/*"]'))
    assert (entry.name, entry.sha256) == ("hr-team", DIGEST)
    assert entry.scopes == {Scope.READ}
    assert entry.sources == ("hr/*", "*/payroll/*")
    (everything,) = parse_keys(entry_text())
    assert everything.sources is None  # absent: every document


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"source": '["hr/*"]'}, "unknown field 'source'"),  # a typo of sources must not give every document
        ({"scopes": '["read", "root"]'}, "unknown scope 'root'"),
        ({"scopes": "[]"}, "needs scopes"),
        ({"sha256": '"not-a-digest"'}, "64 lower-case hexadecimal"),
        ({"sources": '"hr/*"'}, "sources must be a list"),
        ({"sources": '[""]'}, "non-empty string"),
        ({"name": '"two words"'}, "is not valid"),
    ],
)
def test_an_entry_that_is_not_valid_is_refused_with_a_sentence(fields: dict[str, str], words: str) -> None:
    with pytest.raises(KeysFileError, match=words):
        parse_keys(entry_text(**fields))


def test_not_toml_and_repeated_names_are_refused() -> None:
    with pytest.raises(KeysFileError, match="not valid TOML"):
        parse_keys("[[key]\nname=")
    with pytest.raises(KeysFileError, match="holds the name 'hr-team' twice"):
        parse_keys(entry_text() + entry_text(sha256=f'"{"b" * 64}"'))


def test_add_stores_only_the_digest_and_remove_takes_the_entry_out(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    entry, key = add_key(path, "hr-team", ["read"], ["*hr/*"])
    add_key(path, "ops", ["admin"], None)
    text = path.read_text()
    assert key not in text and digest(key) in text and entry.sha256 == digest(key)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [(e.name, e.sources) for e in read_keys(path)] == [("hr-team", ("*hr/*",)), ("ops", None)]
    with pytest.raises(KeysFileError, match="already has a key named 'ops'"):
        add_key(path, "ops", ["read"], None)
    remove_key(path, "hr-team")
    assert [e.name for e in read_keys(path)] == ["ops"]
    with pytest.raises(KeysFileError, match="no key named 'hr-team'"):
        remove_key(path, "hr-team")


def test_two_keys_never_match_each_other(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    _, first = add_key(path, "one", ["read"], None)
    _, second = add_key(path, "two", ["read"], None)
    ring = KeyRing(path)
    assert first != second
    assert ring.find(first).name == "one" and ring.find(second).name == "two"  # type: ignore[union-attr]
    assert ring.find(first[:-1]) is None and ring.find("") is None


def test_the_ring_follows_the_file_and_refuses_everything_while_it_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    _, kept = add_key(path, "kept", ["read"], None)
    ring = KeyRing(path)
    _, added = add_key(path, "added", ["read"], None)
    assert ring.find(added) is not None  # picked up without a restart
    remove_key(path, "kept")
    assert ring.find(kept) is None
    text = path.read_text()
    path.write_text(text.replace('scopes = [', 'scopez = ['))
    os.utime(path, ns=(1, 1))  # an edit in place of the same size: the modification time tells it apart
    assert ring.find(added) is None and ring.error is not None and "scopez" in ring.error
    path.write_text(text)
    assert ring.find(added) is not None and ring.error is None


def test_a_missing_file_stops_the_start_with_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(KeysFileError, match="does not exist; create it with `cited keys add"):
        KeyRing(tmp_path / "absent.toml")


def test_cited_keys_add_prints_the_key_alone_on_the_last_line(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    run = subprocess.run(
        [*cited_command(), "keys", "add", "hr-team", "--scope", "read", "--scope", "write", "--source", "hr/*",
         "--keys-file", str(path)],
        capture_output=True, text=True, timeout=120, check=True,
    )
    key = run.stdout.splitlines()[-1]
    assert key.strip() == key and len(key) >= 40 and " " not in key
    assert key not in run.stdout.splitlines()[0] and run.stderr == ""
    (entry,) = read_keys(path)
    assert (entry.sha256, entry.scopes, entry.sources) == (digest(key), {Scope.READ, Scope.WRITE}, ("hr/*",))
    listed = subprocess.run([*cited_command(), "keys", "list", "--keys-file", str(path)], capture_output=True, text=True, timeout=120)
    assert listed.stdout == "'hr-team': scopes read, write; sources hr/*\n" and key not in listed.stdout
    removed = subprocess.run(
        [*cited_command(), "keys", "remove", "hr-team"], capture_output=True, text=True, timeout=120,
        env={**os.environ, "CITED_KEYS_FILE": str(path)},
    )
    assert removed.returncode == 0 and read_keys(path) == []
    again = subprocess.run(
        [*cited_command(), "keys", "remove", "hr-team", "--keys-file", str(path)], capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 2 and again.stderr.strip() == f"cited keys: the keys file {path} has no key named 'hr-team'"
