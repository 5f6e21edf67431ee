"""Against a real `cited serve`: the collection changes twenty times (uploads, replacements, deletions and
`cited sync` runs from another process) while sixteen clients search and ask; none of their requests fails, and
each change is served within a second."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from index.build import build_index
from index.embed import HashingEmbedder
from service.launcher import Server, cited_command

KEY = "live-collection-key"
CLIENTS = 16


def _clients(url: str, stop: threading.Event, outcomes: Counter[str], lock: threading.Lock) -> list[threading.Thread]:
    def run(n: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    if i % 3:
                        response = http.get("/api/search", params={"q": f"depot {n} crates", "k": 5})
                    else:
                        response = http.post("/api/ask", json={"question": "How many crates does the depot hold?"})
                    key = str(response.status_code)
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                with lock:
                    outcomes[key] += 1

    return [threading.Thread(target=run, args=(n,), daemon=True) for n in range(CLIENTS)]


def _served_within(http: httpx.Client, check: Callable[[], bool], seconds: float) -> float | None:
    """How long until `check` holds (None: not within `seconds`)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def test_twenty_changes_under_sixteen_clients_fail_no_request(tmp_path: Path, start_server: Callable[..., Server]) -> None:
    root, index = tmp_path / "docs", tmp_path / "index"
    root.mkdir()
    for i in range(20):
        (root / f"depot{i}.md").write_text(f"# Depot {i}\n\nThe depot {i} holds {i * 11} crates of apples.\n", encoding="utf-8")
    build_index([root], index, HashingEmbedder(), progress=False)
    server = start_server(index, env={"CITED_MODEL": "hashing-bow", "CITED_ADMIN_KEY": KEY}, name="collection-live")
    outcomes: Counter[str] = Counter()
    lock, stop = threading.Lock(), threading.Event()
    threads = _clients(server.url, stop, outcomes, lock)
    for t in threads:
        t.start()
    admin = {"X-Admin-Key": KEY}
    lags: list[float | None] = []
    with httpx.Client(base_url=server.url, timeout=60) as http:

        def holds(question: str, present: bool) -> Callable[[], bool]:
            def check() -> bool:
                results = http.get("/api/search", params={"q": question, "k": 3, "mode": "lexical"}).json()["results"]
                return any(question.split()[0] in r["text"] for r in results) == present
            return check

        for change in range(20):
            kind = change % 4
            if kind == 0:  # an upload, searchable when the response arrives
                response = http.post("/api/documents", headers=admin, json={"text": f"Warehouse{change} stores pallets.", "source": f"api/w{change}.txt"})
                assert response.status_code == 201, response.text
                lags.append(0.0 if holds(f"Warehouse{change} pallets", True)() else None)
            elif kind == 1:  # a replacement of that upload
                response = http.post("/api/documents", headers=admin, json={"text": f"Storehouse{change} stores barrels.", "source": f"api/w{change - 1}.txt"})
                assert response.status_code == 201 and response.json()["replaced"], response.text
                lags.append(0.0 if holds(f"Warehouse{change - 1} pallets", False)() else None)
            elif kind == 2:  # a deletion
                doc_id = http.get("/api/documents", params={"limit": 1}).json()["documents"][0]["doc_id"]
                assert http.delete(f"/api/documents/{doc_id}", headers=admin).status_code == 204
                lags.append(0.0 if http.get(f"/api/documents/{doc_id}").status_code == 404 else None)
            else:  # a file changed on disk and `cited sync` run by another process
                (root / f"depot{change}.md").write_text(f"# Depot {change}\n\nSilo{change} holds grain.\n", encoding="utf-8")
                run = subprocess.run([*cited_command(), "sync", str(root), "--index", str(index)], capture_output=True, text=True, timeout=300)
                assert run.returncode == 0, run.stderr
                lags.append(_served_within(http, holds(f"Silo{change} grain", True), 1.0))
    stop.set()
    for t in threads:
        t.join(timeout=60)
    print(f"\n{sum(outcomes.values())} requests from {CLIENTS} clients across {len(lags)} changes: {dict(outcomes)}; "
          f"slowest sync served after {max(lag or 0 for lag in lags):.2f} s")
    assert all(lag is not None for lag in lags), lags  # every change served, the synced ones within a second
    assert outcomes and set(outcomes) == {"200"}, dict(outcomes)
    assert sum(outcomes.values()) > 100
    health = httpx.get(f"{server.url}/healthz").json()
    assert health["documents"] == json.loads((index / "manifest.json").read_text())["documents"]
