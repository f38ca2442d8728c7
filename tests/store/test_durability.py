"""Crash durability and the single-process lock of the embedded store."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from common.store import EmbeddedStore, StoreLockedError

ROOT = Path(__file__).resolve().parents[2]


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.store.store_child",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.slow
async def test_every_acknowledged_write_survives_sigkill(tmp_path):
    folder = tmp_path / "crash"
    child = await _spawn("write", str(folder), "5000")
    acknowledged: set[str] = set()
    assert child.stdout is not None
    while len(acknowledged) < 1500:
        line = await asyncio.wait_for(child.stdout.readline(), timeout=30)
        assert line, (await child.stderr.read()).decode()
        acknowledged.add(f"pid/{int(line)}")
    child.send_signal(signal.SIGKILL)
    # Lines already written to the pipe were acknowledged too.
    rest = await child.stdout.read()
    acknowledged |= {f"pid/{int(n)}" for n in rest.split()}
    await child.wait()
    assert child.returncode == -signal.SIGKILL
    assert len(acknowledged) < 5000, "the child finished before it was killed"

    store = EmbeddedStore(folder)
    await store.open()
    try:
        stored = await store.collection("Dataset").find({}, {"_id": 1}).to_list(None)
    finally:
        await store.close()
    stored_ids = {d["_id"] for d in stored}
    assert acknowledged <= stored_ids, sorted(acknowledged - stored_ids)[:5]


async def test_a_second_process_gets_a_clear_error(tmp_path):
    folder = tmp_path / "locked"
    store = EmbeddedStore(folder)
    await store.open()
    try:
        child = await _spawn("open", str(folder))
        out, err = await asyncio.wait_for(child.communicate(), timeout=30)
    finally:
        await store.close()

    assert child.returncode == 3, err.decode()
    message = out.decode()
    assert "already open in another process" in message
    assert f"pid {os.getpid()}" in message


async def test_the_folder_is_free_again_after_close(tmp_path):
    folder = tmp_path / "free"
    first = EmbeddedStore(folder)
    await first.open()
    with pytest.raises(StoreLockedError):
        await EmbeddedStore(folder).open()
    await first.close()

    child = await _spawn("open", str(folder))
    out, _ = await asyncio.wait_for(child.communicate(), timeout=30)
    assert out.decode().strip() == "opened"
