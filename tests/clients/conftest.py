"""A ``scicat api`` subprocess for the real clients (pyscicat, scitacean).

One server for the client tests: a temporary embedded store migrated with
``scicat migrate up``, SciCat's test accounts and groups, a free port, no
events. The fixture waits for the ``api listening`` log line, not a timer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.accounts import (
    ACCOUNTS_FILE,
    TEST_GROUP_SETTINGS,
    account_passwords,
)
from tests.fixtures.rabbit import free_port

SCICAT = Path(sys.executable).parent / "scicat"
START_DEADLINE_SECONDS = 60


@dataclass
class ScicatServer:
    """Where the subprocess listens and how to log in."""

    base_url: str  # http://127.0.0.1:<port>/api
    passwords: dict[str, str]
    log: list[str]

    @property
    def v3(self) -> str:
        return f"{self.base_url}/v3"


class _LogReader(threading.Thread):
    """Keeps the server's log lines and flags the one that says it listens."""

    def __init__(self, stream: object) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: list[str] = []
        self.listening = threading.Event()

    def run(self) -> None:
        for raw in self.stream:  # type: ignore[attr-defined]
            line = raw.decode(errors="replace")
            self.lines.append(line)
            try:
                event = json.loads(line).get("event")
            except ValueError:
                continue
            if event == "api listening":
                self.listening.set()
        self.listening.set()  # the process ended: stop waiting


@pytest.fixture(scope="session")
def scicat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScicatServer]:
    folder = tmp_path_factory.mktemp("scicat-api")
    port = free_port()
    env = {
        **os.environ,
        **TEST_GROUP_SETTINGS,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "EMBEDDED_STORE_PATH": str(folder / "var"),
        "FUNCTIONAL_ACCOUNTS_FILE": str(ACCOUNTS_FILE),
        "JWT_SECRET": "client-tests-secret-long-enough-for-hs256",
        "PID_PREFIX": "20.500.12269",
        "AMQP_EVENTS_ENABLED": "no",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }
    env.pop("MONGODB_URI", None)
    subprocess.run(
        [str(SCICAT), "migrate", "up"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    proc = subprocess.Popen(
        [str(SCICAT), "api"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    reader = _LogReader(proc.stderr)
    reader.start()
    try:
        reader.listening.wait(START_DEADLINE_SECONDS)
        if proc.poll() is not None or not reader.listening.is_set():
            raise AssertionError(f"scicat api did not start: {reader.lines[-20:]}")
        yield ScicatServer(
            f"http://127.0.0.1:{port}/api", account_passwords(), reader.lines
        )
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
