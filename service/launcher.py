"""`cited serve` as a child process on a free loopback port: the one launcher of the bench, the soak and the tests.

    with Server(index, env={"CITED_BATCH_WAIT_MS": "0"}) as server:
        httpx.get(f"{server.url}/api/search", params={"q": "..."})
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

# The console script `cited` (pyproject [project.scripts]), as module:function. Run through sys.executable
# rather than the script beside it, so that the checkout on sys.path is the one served.
CLI_ENTRY = "cli.main:main"
# What a server needs offline; the caller's environment and `env` win.
_DEFAULT_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


class ServerError(RuntimeError):
    """`cited serve` exited or did not answer /healthz in time; the message ends with its log's tail."""


def cited_command() -> list[str]:
    """The argv prefix that runs the `cited` command with this interpreter."""
    module, _, function = CLI_ENTRY.partition(":")
    return [sys.executable, "-c", f"import sys; from {module} import {function}; sys.exit({function}())"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`cited serve --index INDEX` on a free port, in its own process group; a context manager.

    `env` is added to this process's environment (a value of None removes the variable); `host=None` passes
    no --host, so the server binds its default address. `started_s` is process start to /healthz 200.
    """

    def __init__(
        self, index: Path, *, env: Mapping[str, str | None] | None = None, host: str | None = "127.0.0.1",
        log: Path | None = None, start_timeout_s: float = 600.0, stop_timeout_s: float = 20.0, args: Sequence[str] = (),
    ) -> None:
        self.index, self.host, self.env = index, host, dict(env or {})
        self.args = list(args)  # more options of `cited serve` (--ray local:2)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log or Path(tempfile.gettempdir()) / f"cited-serve-{self.port}.log"
        self.start_timeout_s, self.stop_timeout_s = start_timeout_s, stop_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.started_s = 0.0
        self._stopped = False

    @property
    def pid(self) -> int:
        if self.process is None:
            raise ServerError("the server has not been started")
        return self.process.pid

    def poll(self) -> int | None:
        """The exit status, or None while the server runs."""
        return None if self.process is None else self.process.poll()

    def start(self) -> Server:
        merged: dict[str, str | None] = {**_DEFAULT_ENV, **os.environ, **self.env}
        environment = {name: value for name, value in merged.items() if value is not None}
        command = [*cited_command(), "serve", "--port", str(self.port), "--index", str(self.index)]
        if self.host is not None:
            command += ["--host", self.host]
        command += self.args
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as log:
            started = time.perf_counter()
            # A session of its own: stop() signals the whole group, and a Ctrl-C at the terminal reaches only us.
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                                            start_new_session=True)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"cited serve exited with status {self.process.returncode}: {self._tail()}")
            if self._healthy():
                self.started_s = time.perf_counter() - started
                return self
            time.sleep(0.02)
        self.stop()
        raise ServerError(f"cited serve did not answer /healthz within {self.start_timeout_s:.0f} s: {self._tail()}")

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after `stop_timeout_s`; nothing of the group outlives this."""
        if self.process is None or self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(ProcessLookupError):
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=self.stop_timeout_s)
                except subprocess.TimeoutExpired:
                    pass
            os.killpg(self.process.pid, signal.SIGKILL)  # what is left of the group, if anything
        self.process.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _healthy(self) -> bool:
        """One GET /healthz over a plain socket: polling must not cost the starting server CPU (httpx.get builds
        an SSL context per call, a core's worth at this rate)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def _tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return f"(no log at {self.log})"
